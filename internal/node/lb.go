package node

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/dispatcher"
	"github.com/sipfleet/sipfleet/internal/mgmt"
	"github.com/sipfleet/sipfleet/internal/nat"
	"github.com/sipfleet/sipfleet/internal/pike"
	"github.com/sipfleet/sipfleet/internal/role/lb"
	"github.com/sipfleet/sipfleet/internal/store"
	"github.com/sipfleet/sipfleet/internal/transaction"
)

// lbRole runs the edge load balancer with its dispatcher and probing.
type lbRole struct {
	n        *Node
	cfg      *config.LB
	lb       *lb.LB
	disp     *dispatcher.Dispatcher
	limiter  *pike.Limiter
	reloadMu sync.Mutex
	cancel   context.CancelFunc
	done     chan struct{}
}

// lateProber lets the dispatcher be built before the LB that probes for it.
type lateProber struct{ lb *lb.LB }

func (p *lateProber) Probe(ctx context.Context, d *dispatcher.Destination) (time.Duration, error) {
	return p.lb.Probe(ctx, d)
}

func newLBRole(cfg *config.Config, n *Node) (*lbRole, error) {
	c := cfg.LB
	r := &lbRole{n: n, cfg: c, done: make(chan struct{})}
	list, err := loadList(context.Background(), c)
	if err != nil {
		return nil, err
	}
	prober := &lateProber{}
	dopt := dispatcher.Options{Logger: n.log, Health: healthConfig(c.Probe)}
	if c.Probe.Mode != "off" {
		dopt.Prober = prober
	}
	if r.disp, err = dispatcher.New(list, dopt); err != nil {
		return nil, err
	}
	opt, err := r.options(cfg)
	if err != nil {
		return nil, err
	}
	if r.lb, err = lb.New(opt); err != nil {
		return nil, err
	}
	prober.lb = r.lb
	if err := r.register(); err != nil {
		return nil, err
	}
	return r, nil
}

func healthConfig(p config.Probe) dispatcher.HealthConfig {
	mode := dispatcher.ProbeAll
	if p.Mode == "inactive" {
		mode = dispatcher.ProbeInactive
	}
	return dispatcher.HealthConfig{
		Mode: mode, Interval: p.Interval, Timeout: p.Timeout,
		FailThreshold: p.FailureThreshold, SuccessThreshold: p.SuccessThreshold,
	}
}

func (r *lbRole) options(cfg *config.Config) (lb.Options, error) {
	c := cfg.LB
	tc, err := transportConfig(cfg)
	if err != nil {
		return lb.Options{}, err
	}
	alg, err := dispatcher.ParseAlgorithm(c.Algorithm)
	if err != nil {
		return lb.Options{}, err
	}
	if c.Secret != "" && len(c.Secret) < 16 {
		return lb.Options{}, fmt.Errorf("secret: at least 16 characters")
	}
	opt := lb.Options{
		Transport: tc,
		// A 2xx retransmitted after Timer M is relayed statelessly anyway, so
		// the LB keeps its INVITE transactions Accepted only briefly.
		Timers:        transaction.Config{T1: cfg.SIP.T1, T2: cfg.SIP.T2, T4: cfg.SIP.T4, TimerM: 4 * time.Second},
		Dispatcher:    r.disp,
		Algorithm:     alg,
		ProxySet:      c.ProxySet,
		RegistrarSet:  c.RegistrarSet,
		Secret:        []byte(c.Secret),
		PathReceived:  map[string]lb.PathReceived{"nat": lb.ReceivedWhenNAT, "always": lb.ReceivedAlways, "never": lb.ReceivedNever}[c.PathReceived],
		NATTests:      nat.Test(c.NATTests),
		FailoverCodes: c.FailoverCodes,
		MaxFailover:   c.MaxFailover,
		Logger:        r.n.log,
	}
	for _, p := range c.Peers {
		ip, err := netip.ParseAddr(p.Host)
		if err != nil {
			return opt, fmt.Errorf("peers: %q is not an IP address", p.Host)
		}
		opt.Peers = append(opt.Peers, netip.AddrPortFrom(ip, p.Port))
	}
	for _, n := range c.PrivateNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return opt, fmt.Errorf("private_networks: %w", err)
		}
		opt.PrivateNets = append(opt.PrivateNets, p.Masked())
	}
	if c.Pike.Threshold > 0 {
		if r.limiter, err = pike.New(pike.Config{Interval: c.Pike.Window, Threshold: c.Pike.Threshold, BanFor: c.Pike.Ban}); err != nil {
			return opt, err
		}
		opt.Limiter = r.limiter
	}
	frags := c.Scanners
	if frags == nil {
		frags = pike.DefaultScanners()
	}
	sc, err := pike.NewScanners(frags)
	if err != nil {
		return opt, err
	}
	opt.IsScanner = sc.IsScanner
	return opt, nil
}

func (r *lbRole) name() string { return "lb" }

func (r *lbRole) start(ctx context.Context) error {
	if err := r.lb.Start(ctx); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); _ = r.disp.Run(bg) }()
		if r.limiter != nil {
			r.sweep(bg)
		}
		wg.Wait()
	}()
	return nil
}

// sweep forgets idle sources of the flood limiter until ctx ends.
func (r *lbRole) sweep(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.limiter.Sweep(now)
		}
	}
}

func (r *lbRole) stop(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
	return r.lb.Close(ctx)
}

// reload re-reads the dispatcher list: states of destinations kept across
// the reload survive, and the new sets are swapped in atomically.
func (r *lbRole) reload(_ context.Context, cfg *config.Config) error {
	if cfg.LB == nil {
		return fmt.Errorf("the new config has no lb section; keeping the running one")
	}
	_, err := r.reloadList(context.Background(), cfg.LB)
	return err
}

// reloadList re-reads the destinations from src, or from the running
// config's source when src is nil.
func (r *lbRole) reloadList(ctx context.Context, src *config.LB) (dispatcher.ReloadSummary, error) {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	if src == nil {
		src = r.cfg
	}
	list, err := loadList(ctx, src)
	if err != nil {
		return dispatcher.ReloadSummary{}, err
	}
	sum := r.disp.Reload(list)
	r.lb.DispatcherReloaded()
	r.cfg.DispatcherList, r.cfg.DispatcherDB = src.DispatcherList, src.DispatcherDB
	r.n.log.Info("dispatcher reloaded", "file", src.DispatcherList, "db", src.DispatcherDB.Scheme(),
		"sets", sum.Sets, "destinations", sum.Destinations, "added", sum.Added, "removed", sum.Removed)
	return sum, nil
}

// loadList reads the destination sets from the list file or, when the LB
// is given a database, from its dispatcher table (Kamailio's, so a table
// a Kamailio fleet already has serves as is). The database is read here
// only, never on the message path.
func loadList(ctx context.Context, c *config.LB) (*dispatcher.List, error) {
	if c.DispatcherDB == "" {
		return dispatcher.ParseFile(c.DispatcherList)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	db, err := OpenStore(ctx, string(c.DispatcherDB), store.Options{MaxConns: 1})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	src, ok := db.(interface {
		DispatcherRows(context.Context) ([]store.DispatcherRow, error)
	})
	if !ok {
		return nil, fmt.Errorf("dispatcher_db: the store cannot read a dispatcher table")
	}
	rows, err := src.DispatcherRows(ctx)
	if err != nil {
		return nil, fmt.Errorf("dispatcher_db: %w", err)
	}
	out := make([]dispatcher.Row, len(rows))
	for i, r := range rows {
		out[i] = dispatcher.Row{ID: r.ID, SetID: r.SetID, Destination: r.Destination, Flags: r.Flags,
			Priority: r.Priority, Attrs: r.Attrs, Description: r.Description}
	}
	return dispatcher.FromRows("dispatcher", out)
}

// register mounts the LB's API and metrics on the node's listener.
func (r *lbRole) register() error {
	a := r.n.admin
	if err := a.HandleFunc("GET /v1/dispatcher", r.apiList); err != nil {
		return err
	}
	if err := a.HandleFunc("POST /v1/dispatcher/state", r.apiSetState); err != nil {
		return err
	}
	if err := a.HandleFunc("POST /v1/dispatcher/reload", r.apiReload); err != nil {
		return err
	}
	a.AddReadiness("lb", func(context.Context) error {
		if len(r.lb.Transport().Listeners()) == 0 {
			return fmt.Errorf("not listening")
		}
		return nil
	})
	return r.metrics()
}

func (r *lbRole) metrics() error {
	reg := r.n.reg
	if err := mgmt.RegisterTransport(roleRegisterer(r.n, "lb"), r.lb.Transport().Stats); err != nil {
		return err
	}
	if err := registerCounters(reg, "lb", r.lb.Stats); err != nil {
		return err
	}
	if r.limiter != nil {
		if err := mgmt.RegisterPike(reg, func() pike.Stats { return r.limiter.Stats(time.Now()) }); err != nil {
			return err
		}
	}
	return mgmt.RegisterGaugeFunc(reg, "sipfleet_dispatcher_active_destinations", "Destinations in rotation.", func() float64 {
		n := 0
		for _, d := range r.disp.List() {
			if d.State == dispatcher.StateActive {
				n++
			}
		}
		return float64(n)
	})
}

// destinationJSON is one row of GET /v1/dispatcher.
type destinationJSON struct {
	SetID     int     `json:"setid"`
	URI       string  `json:"uri"`
	State     string  `json:"state"`
	Since     string  `json:"since"`
	Priority  int     `json:"priority"`
	Attrs     string  `json:"attrs,omitempty"`
	Selected  uint64  `json:"selected"`
	Failures  uint64  `json:"failures"`
	ProbeOK   uint64  `json:"probe_ok"`
	ProbeFail uint64  `json:"probe_failures"`
	InFlight  int64   `json:"inflight"`
	LastProbe string  `json:"last_probe,omitempty"`
	LastError string  `json:"last_error,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
}

func (r *lbRole) apiList(w http.ResponseWriter, _ *http.Request) {
	var out []destinationJSON
	for _, d := range r.disp.List() {
		j := destinationJSON{
			SetID: d.SetID, URI: d.URI, State: d.State.String(), Since: d.Since.UTC().Format(time.RFC3339),
			Priority: d.Priority, Attrs: d.Attrs, Selected: d.Selected, Failures: d.TrafficFailures,
			ProbeOK: d.ProbeSuccesses, ProbeFail: d.ProbeFailures, InFlight: d.InFlight,
			LastError: d.LastProbeError, LatencyMS: float64(d.LastLatency.Microseconds()) / 1000,
		}
		if !d.LastProbe.IsZero() {
			j.LastProbe = d.LastProbe.UTC().Format(time.RFC3339)
		}
		out = append(out, j)
	}
	mgmt.WriteJSON(w, http.StatusOK, out)
}

func (r *lbRole) apiSetState(w http.ResponseWriter, req *http.Request) {
	var body struct {
		SetID int    `json:"setid"`
		URI   string `json:"uri"`
		State string `json:"state"`
	}
	if err := mgmt.DecodeJSON(w, req, &body); err != nil {
		mgmt.WriteError(w, http.StatusBadRequest, err)
		return
	}
	st, err := dispatcher.ParseState(body.State)
	if err != nil {
		mgmt.WriteError(w, http.StatusBadRequest, err)
		return
	}
	if err := r.disp.SetState(body.SetID, body.URI, st); err != nil {
		mgmt.WriteError(w, http.StatusNotFound, err)
		return
	}
	mgmt.WriteJSON(w, http.StatusOK, map[string]string{"result": "ok"})
}

func (r *lbRole) apiReload(w http.ResponseWriter, req *http.Request) {
	sum, err := r.reloadList(req.Context(), nil)
	if err != nil {
		mgmt.WriteError(w, http.StatusUnprocessableEntity, err)
		return
	}
	mgmt.WriteJSON(w, http.StatusOK, sum)
}
