package refresh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// Func returns the groups found now. On success (nil error) they are the
// full set: a Source that a previous call returned and this one does not
// is deleted. On error the groups returned, possibly none, replace the
// groups of their Sources and nothing is deleted, so that a partial
// failure keeps the last good groups of what failed. A group with no
// targets deletes its Source either way.
//
// Func must return when ctx is cancelled, and must not modify the groups
// it returned afterwards.
type Func func(ctx context.Context) ([]*discovery.Group, error)

// Discoverer calls a Func at an interval and sends what changed. Build it
// with New.
type Discoverer struct {
	interval time.Duration
	refresh  Func
}

var _ discovery.Discoverer = (*Discoverer)(nil)

// errNilGroup is reported when a Func returns a nil group.
var errNilGroup = errors.New("refresh: the refresh function returned a nil group")

// New returns a Discoverer that calls refresh at once when run, then
// interval after each call returns. interval must be > 0 and refresh not
// nil.
func New(interval time.Duration, refresh Func) (*Discoverer, error) {
	var errs []error
	if interval <= 0 {
		errs = append(errs, fmt.Errorf("refresh: interval = %s: must be > 0", interval))
	}
	if refresh == nil {
		errs = append(errs, errors.New("refresh: refresh function is nil"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Discoverer{interval: interval, refresh: refresh}, nil
}

// Run implements discovery.Discoverer. Its first send is the groups of the
// first refresh that succeeded or returned groups; a refresh error is
// reported with discovery.ReportError after the refresh's update, if any.
func (d *Discoverer) Run(ctx context.Context, up chan<- []*discovery.Group) {
	state := make(map[string]*discovery.Group)
	first := true
	timer := time.NewTimer(d.interval)
	timer.Stop()
	defer timer.Stop()
	for {
		groups, err := d.refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		changes, nils, ok := diff(state, groups, err == nil, first)
		if ok {
			select {
			case up <- changes:
				first = false
			case <-ctx.Done():
				return
			}
		}
		// Reported after the update, so that a Manager shows the provider
		// erroring until a later refresh sends something.
		if err != nil {
			discovery.ReportError(ctx, fmt.Errorf("refresh: %w", err))
		}
		if nils > 0 {
			discovery.ReportError(ctx, fmt.Errorf("%w (%d)", errNilGroup, nils))
		}
		timer.Reset(d.interval)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
}

// diff applies groups to state and returns the groups to send, sorted by
// Source, and the number of nil groups it skipped; ok is false when there
// is nothing to send. full reports that groups are the whole set (missing
// Sources are deleted); first that nothing was sent yet (everything found
// is sent, even nothing).
func diff(state map[string]*discovery.Group, groups []*discovery.Group, full, first bool) (changes []*discovery.Group, nils int, ok bool) {
	if first && !full && len(groups) == 0 {
		return nil, 0, false
	}
	next := make(map[string]*discovery.Group, len(groups))
	for _, g := range groups {
		if g == nil {
			nils++
			continue
		}
		next[g.Source] = g
	}
	changes = []*discovery.Group{}
	for src, g := range next {
		old := state[src]
		switch {
		case len(g.Targets) == 0:
			if old != nil {
				changes = append(changes, g)
				delete(state, src)
			}
		case old == nil || !old.Equal(g):
			changes = append(changes, g)
			state[src] = g
		}
	}
	if full {
		for src := range state {
			if _, found := next[src]; !found {
				changes = append(changes, &discovery.Group{Source: src})
				delete(state, src)
			}
		}
	}
	slices.SortFunc(changes, func(a, b *discovery.Group) int { return strings.Compare(a.Source, b.Source) })
	if first {
		// The full set: only groups with targets.
		changes = slices.DeleteFunc(changes, func(g *discovery.Group) bool { return len(g.Targets) == 0 })
		return changes, nils, true
	}
	return changes, nils, len(changes) > 0
}
