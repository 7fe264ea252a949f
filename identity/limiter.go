package identity

import (
	"sync"
	"time"

	"github.com/palisade-project/palisade"
	"golang.org/x/time/rate"
)

// Defaults for failed authentication: 10 failures per address, refilled at
// one per 6 seconds. A person who mistypes is never stopped; a script that
// guesses is held to 10 guesses a minute.
const (
	DefaultFailureLimit  = 10
	DefaultFailureWindow = time.Minute
	maxTrackedAddresses  = 100000
)

// Limiter counts failures per client address and refuses an address that
// used up its allowance. It is per process: several replicas each allow the
// limit, which still keeps guessing hopeless against 256-bit tokens.
type Limiter struct {
	now   palisade.Clock
	burst int
	every rate.Limit

	mu   sync.Mutex
	byIP map[string]*rate.Limiter
}

// NewLimiter allows limit failures per window per address.
func NewLimiter(now palisade.Clock, limit int, window time.Duration) *Limiter {
	return &Limiter{now: now, burst: limit, every: rate.Every(window / time.Duration(limit)), byIP: map[string]*rate.Limiter{}}
}

func (l *Limiter) get(addr string) *rate.Limiter {
	lim, ok := l.byIP[addr]
	if !ok {
		if len(l.byIP) >= maxTrackedAddresses {
			l.sweep()
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.byIP[addr] = lim
	}
	return lim
}

// sweep forgets addresses whose allowance is full again.
func (l *Limiter) sweep() {
	now := l.now()
	for a, lim := range l.byIP {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.byIP, a)
		}
	}
}

// Allow reports whether addr may try to authenticate now.
func (l *Limiter) Allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.byIP[addr]
	if !ok {
		return true
	}
	return lim.TokensAt(l.now()) >= 1
}

// Fail records a failed attempt from addr.
func (l *Limiter) Fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.get(addr).AllowN(l.now(), 1)
}
