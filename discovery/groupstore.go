package discovery

import (
	"cmp"
	"slices"
)

// groupStore holds a provider's current groups, sorted by Source, with
// their target count and a snapshot shared with readers until the groups
// change. The provider guards it with its mu.
type groupStore struct {
	entries []*Group // the current groups, none nil or empty, sorted by Source
	targets int
	snap    []*Group // entries as a shared snapshot; rebuilt when stale
	stale   bool
}

// clear drops every group.
func (s *groupStore) clear() {
	s.entries, s.targets, s.stale = nil, 0, true
}

// find returns the index of source in s.entries, or where it would go.
func (s *groupStore) find(source string) (int, bool) {
	return slices.BinarySearchFunc(s.entries, source, func(g *Group, src string) int { return cmp.Compare(g.Source, src) })
}

// merge applies groups one by one: a group with targets replaces the
// group of its Source unless equal to it, one without deletes it.
func (s *groupStore) merge(groups []*Group) (changed, nils int) {
	for _, g := range groups {
		if g == nil {
			nils++
			continue
		}
		i, found := s.find(g.Source)
		if len(g.Targets) == 0 {
			if found {
				s.targets -= len(s.entries[i].Targets)
				s.entries = slices.Delete(s.entries, i, i+1)
				changed++
			}
			continue
		}
		if found {
			old := s.entries[i]
			if old == g || old.Equal(g) {
				continue
			}
			s.targets += len(g.Targets) - len(old.Targets)
			s.entries[i] = g
		} else {
			s.entries = slices.Insert(s.entries, i, g)
			s.targets += len(g.Targets)
		}
		changed++
	}
	return changed, nils
}

// replace makes groups the whole state, keeping the old pointer of every
// group that did not change.
func (s *groupStore) replace(groups []*Group) (changed, nils int) {
	next := make([]*Group, 0, len(groups))
	for _, g := range groups {
		if g == nil {
			nils++
			continue
		}
		next = append(next, g)
	}
	// Sort stably and keep the last group of each Source, as merging would.
	slices.SortStableFunc(next, func(a, b *Group) int { return cmp.Compare(a.Source, b.Source) })
	w := 0
	for i := range next {
		if i+1 < len(next) && next[i+1].Source == next[i].Source {
			continue
		}
		if len(next[i].Targets) > 0 {
			next[w] = next[i]
			w++
		}
	}
	next = next[:w]
	old := s.entries
	i, j := 0, 0
	for i < len(old) || j < len(next) {
		switch {
		case j == len(next) || i < len(old) && old[i].Source < next[j].Source:
			changed++ // deleted
			i++
		case i == len(old) || next[j].Source < old[i].Source:
			changed++ // added
			j++
		default:
			if old[i] == next[j] || old[i].Equal(next[j]) {
				next[j] = old[i]
			} else {
				changed++
			}
			i++
			j++
		}
	}
	s.entries = next
	s.targets = 0
	for _, g := range next {
		s.targets += len(g.Targets)
	}
	return changed, nils
}

// snapshot returns the groups in Source order. The slice is shared until
// the groups change, and never modified.
func (s *groupStore) snapshot() []*Group {
	if s.stale {
		s.snap = nil
		if len(s.entries) > 0 {
			s.snap = slices.Clone(s.entries)
		}
		s.stale = false
	}
	return s.snap
}
