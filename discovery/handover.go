package discovery

import (
	"slices"
	"time"
)

// A reload that replaces a set's providers would, left alone, show the set
// without the old providers' groups and without the new ones' until the
// new discoverers send: an empty set for a moment, which a consumer acts
// on by dropping every target. A handover keeps showing the old providers
// until the new ones have sent their first full sets, or SwapTimeout
// passed, and then shows the new ones in one snapshot.

// handover is a set that shows providers an ApplyConfig replaced.
type handover struct {
	shown   []*provider // the providers whose groups the set shows
	waiting []*provider // the replacing providers that had not sent yet
	expired bool        // SwapTimeout passed
	timer   *time.Timer
}

// beginHandoverLocked starts a handover of set, whose providers change
// from old to ps, if ps replaces a provider the set shows with one that has
// not sent its first full set. It reports whether it did.
func (m *Manager) beginHandoverLocked(set string, old, ps []*provider) bool {
	shown := old
	if h := m.handovers[set]; h != nil {
		shown = h.shown // the consumer still sees these
	}
	m.endHandoverLocked(set)
	var waiting []*provider
	for _, p := range ps {
		if !slices.Contains(shown, p) && !p.sentFirst.Load() {
			waiting = append(waiting, p)
		}
	}
	replaced := slices.ContainsFunc(shown, func(p *provider) bool { return !slices.Contains(ps, p) })
	if !replaced || len(waiting) == 0 {
		return false
	}
	h := &handover{shown: shown, waiting: waiting}
	h.timer = time.AfterFunc(m.opts.SwapTimeout, func() {
		m.mu.Lock()
		if m.handovers[set] == h {
			h.expired = true
			m.dirtySets[set] = struct{}{}
		}
		m.mu.Unlock()
		signal(m.wake)
	})
	m.handovers[set] = h
	return true
}

// endHandoverLocked ends the handover of set, if any.
func (m *Manager) endHandoverLocked(set string) {
	if h := m.handovers[set]; h != nil {
		h.timer.Stop()
		delete(m.handovers, set)
	}
}

// settleHandoversLocked ends the handovers whose replacing providers have
// all sent their first full sets, or whose SwapTimeout passed, and marks
// their sets changed.
func (m *Manager) settleHandoversLocked() {
	for set, h := range m.handovers {
		if h.expired || !slices.ContainsFunc(h.waiting, func(p *provider) bool { return !p.sentFirst.Load() }) {
			m.endHandoverLocked(set)
			m.dirtySets[set] = struct{}{}
		}
	}
}

// shownLocked returns the providers whose groups set shows.
func (m *Manager) shownLocked(set string) []*provider {
	if h := m.handovers[set]; h != nil {
		return h.shown
	}
	return m.sets[set]
}
