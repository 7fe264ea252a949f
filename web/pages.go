package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// pageSize is the number of rows of a list page: enough to scan, small
// enough to render fast on a large catalog.
const pageSize = 50

// maxQueryLen bounds filter and cursor values from the query string.
const maxQueryLen = 256

type tierCount struct {
	Tier, Count int
}

type overviewView struct {
	Services, Teams, ThirdParties int
	Tiers                         []tierCount
	Capabilities                  []capability
	Vuln                          *overviewVuln
	SLO                           *overviewSLO
	Incidents                     *overviewIncidents
}

func (u *UI) overview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := overviewView{Capabilities: u.caps}
	st, err := u.cfg.Catalog.Stats(ctx)
	if err != nil {
		return err
	}
	v.Services, v.Teams, v.ThirdParties = st.Services, st.Teams, st.ThirdParties
	for t := catalog.MinTier; t <= catalog.MaxTier; t++ {
		v.Tiers = append(v.Tiers, tierCount{Tier: t, Count: st.ServicesByTier[t-1]})
	}
	if v.Vuln, err = u.overviewVuln(ctx); err != nil {
		return err
	}
	if v.SLO, err = u.overviewSLO(ctx); err != nil {
		return err
	}
	if v.Incidents, err = u.overviewIncidents(ctx); err != nil {
		return err
	}
	return u.render(w, r, http.StatusOK, "overview", "Overview", "overview", v)
}

// eachService calls fn for every service matching f, page by page.
func (u *UI) eachService(ctx context.Context, f catalog.ServiceFilter, fn func(catalog.Service)) error {
	f.Limit = catalog.MaxPageSize
	for {
		page, next, err := u.cfg.Catalog.ListServices(ctx, f)
		if err != nil {
			return err
		}
		for _, s := range page {
			fn(s)
		}
		if next == "" {
			return nil
		}
		f.After = next
	}
}

type servicesView struct {
	Team, Tag string
	Tier      int
	Tiers     []int
	Filtered  bool
	Services  []catalog.Service
	// FirstURL is set when this is not the first page.
	FirstURL string
	NextURL  string
}

// queryValue returns a trimmed query parameter, refusing absurd lengths.
func queryValue(q url.Values, name string) (string, error) {
	v := strings.TrimSpace(q.Get(name))
	if len(v) > maxQueryLen {
		return "", palisade.FieldErrorf(palisade.EINVALID, name, "%s is longer than %d characters", name, maxQueryLen)
	}
	return v, nil
}

func (u *UI) services(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v servicesView
	var err error
	if v.Team, err = queryValue(q, "team"); err != nil {
		return err
	}
	if v.Tag, err = queryValue(q, "tag"); err != nil {
		return err
	}
	after, err := queryValue(q, "after")
	if err != nil {
		return err
	}
	if t := strings.TrimSpace(q.Get("tier")); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < catalog.MinTier || n > catalog.MaxTier {
			return palisade.FieldErrorf(palisade.EINVALID, "tier", "tier must be a number from %d to %d", catalog.MinTier, catalog.MaxTier)
		}
		v.Tier = n
	}
	for t := catalog.MinTier; t <= catalog.MaxTier; t++ {
		v.Tiers = append(v.Tiers, t)
	}
	v.Filtered = v.Team != "" || v.Tag != "" || v.Tier != 0
	services, next, err := u.cfg.Catalog.ListServices(r.Context(), catalog.ServiceFilter{Team: v.Team, Tier: v.Tier, Tag: v.Tag, After: after, Limit: pageSize})
	if err != nil {
		return err
	}
	v.Services = services
	link := func(after string) string {
		p := url.Values{}
		if v.Team != "" {
			p.Set("team", v.Team)
		}
		if v.Tier != 0 {
			p.Set("tier", strconv.Itoa(v.Tier))
		}
		if v.Tag != "" {
			p.Set("tag", v.Tag)
		}
		if after != "" {
			p.Set("after", after)
		}
		if len(p) == 0 {
			return "/services"
		}
		return "/services?" + p.Encode()
	}
	if after != "" {
		v.FirstURL = link("")
	}
	if next != "" {
		v.NextURL = link(next)
	}
	return u.render(w, r, http.StatusOK, "services", "Services", "services", v)
}

type serviceView struct {
	*catalog.ServiceDetail
	Graph *graphView
	Vuln  *serviceVulnView
	// SLO is nil on a server without the SLO capability.
	SLO *serviceSLOView
	// Incidents is nil on a server without incident response.
	Incidents *serviceIncidentsView
}

// pathName returns the {name} of the path when it can name a catalog
// object; anything else cannot exist, so it is a 404 without a query.
func pathName(r *http.Request, kind string) (string, error) {
	name := r.PathValue("name")
	if !catalog.ValidName(name) {
		return "", palisade.Errorf(palisade.ENOTFOUND, "there is no %s named %q", kind, name)
	}
	return name, nil
}

func (u *UI) service(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "service")
	if err != nil {
		return err
	}
	d, err := u.cfg.Catalog.Service(r.Context(), name)
	if err != nil {
		return err
	}
	g, err := u.cfg.Catalog.Neighbourhood(r.Context(), name)
	if err != nil {
		return err
	}
	vv, err := u.serviceVuln(r.Context(), name)
	if err != nil {
		return err
	}
	sv, err := u.serviceSLO(r.Context(), name)
	if err != nil {
		return err
	}
	iv, err := u.serviceIncidents(r.Context(), name)
	if err != nil {
		return err
	}
	return u.render(w, r, http.StatusOK, "service", d.Name, "services", serviceView{ServiceDetail: d, Graph: layoutGraph(g), Vuln: vv, SLO: sv, Incidents: iv})
}

type teamsView struct {
	Teams    []catalog.Team
	FirstURL string
	NextURL  string
}

func (u *UI) teams(w http.ResponseWriter, r *http.Request) error {
	after, err := queryValue(r.URL.Query(), "after")
	if err != nil {
		return err
	}
	teams, next, err := u.cfg.Catalog.ListTeams(r.Context(), after, pageSize)
	if err != nil {
		return err
	}
	v := teamsView{Teams: teams}
	if after != "" {
		v.FirstURL = "/teams"
	}
	if next != "" {
		v.NextURL = "/teams?after=" + url.QueryEscape(next)
	}
	return u.render(w, r, http.StatusOK, "teams", "Teams", "teams", v)
}

type teamView struct {
	*catalog.Team
	Services []catalog.Service
	FirstURL string
	NextURL  string
}

func (u *UI) team(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "team")
	if err != nil {
		return err
	}
	after, err := queryValue(r.URL.Query(), "after")
	if err != nil {
		return err
	}
	t, err := u.cfg.Catalog.Team(r.Context(), name)
	if err != nil {
		return err
	}
	services, next, err := u.cfg.Catalog.ListServices(r.Context(), catalog.ServiceFilter{Team: name, After: after, Limit: pageSize})
	if err != nil {
		return err
	}
	v := teamView{Team: t, Services: services}
	base := "/teams/" + url.PathEscape(name)
	if after != "" {
		v.FirstURL = base
	}
	if next != "" {
		v.NextURL = base + "?after=" + url.QueryEscape(next)
	}
	return u.render(w, r, http.StatusOK, "team", t.Name, "teams", v)
}

type thirdPartiesView struct {
	ThirdParties []catalog.ThirdParty
	FirstURL     string
	NextURL      string
}

func (u *UI) thirdParties(w http.ResponseWriter, r *http.Request) error {
	after, err := queryValue(r.URL.Query(), "after")
	if err != nil {
		return err
	}
	vendors, next, err := u.cfg.Catalog.ListThirdParties(r.Context(), after, pageSize)
	if err != nil {
		return err
	}
	v := thirdPartiesView{ThirdParties: vendors}
	if after != "" {
		v.FirstURL = "/third-parties"
	}
	if next != "" {
		v.NextURL = "/third-parties?after=" + url.QueryEscape(next)
	}
	return u.render(w, r, http.StatusOK, "thirdparties", "Third parties", "third-parties", v)
}

type thirdPartyView struct {
	*catalog.ThirdParty
	// Services use the third party directly.
	Services []catalog.Service
	// Teams own those services.
	Teams []string
	// DataClasses are held by those services or by the vendor itself.
	DataClasses []string
}

func (u *UI) thirdParty(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "third party")
	if err != nil {
		return err
	}
	tp, err := u.cfg.Catalog.ThirdParty(r.Context(), name)
	if err != nil {
		return err
	}
	v := thirdPartyView{ThirdParty: tp}
	classes := slices.Clone(tp.DataClasses)
	if err := u.eachService(r.Context(), catalog.ServiceFilter{ThirdParty: name}, func(s catalog.Service) {
		v.Services = append(v.Services, s)
		v.Teams = append(v.Teams, s.Team)
		classes = append(classes, s.DataClasses...)
	}); err != nil {
		return err
	}
	slices.Sort(v.Teams)
	v.Teams = slices.Compact(v.Teams)
	slices.Sort(classes)
	v.DataClasses = slices.Compact(classes)
	return u.render(w, r, http.StatusOK, "thirdparty", tp.Name, "third-parties", v)
}
