package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// outboxCollector exports the notification outbox by status, so that an
// operator can alert on dead letters (palisade_notifications{status="dead"}
// rising) or on a backlog that does not drain.
type outboxCollector struct {
	counts func(ctx context.Context) (map[string]int, error)
	desc   *prometheus.Desc
}

func newOutboxCollector(counts func(ctx context.Context) (map[string]int, error)) *outboxCollector {
	return &outboxCollector{counts: counts, desc: prometheus.NewDesc("palisade_notifications",
		"Notification outbox entries by status: pending (queued or retrying), sent, dead (gave up).", []string{"status"}, nil)}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for status, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), status)
	}
}
