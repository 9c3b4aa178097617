package discovery_test

import (
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

// A received snapshot map is the receiver's: deleting, adding and replacing
// its entries never shows in a later snapshot.
func TestReceivedSnapshotMapIsTheReceivers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := start(t, nil)
		a, b := discoverytest.NewMock("a"), discoverytest.NewMock("b")
		m.apply(t, map[string]discovery.Configs{"web": {a}, "db": {b}})
		send(t, a, group("g", "a:1"))
		send(t, b, group("g", "b:1"))
		time.Sleep(time.Second)
		s1 := m.next(t)
		require.Len(t, s1, 2)
		delete(s1, "web")
		s1["extra"] = []*discovery.Group{group("x", "x:1")}
		s1["db"] = nil

		send(t, a, group("g", "a:2"))
		time.Sleep(time.Second)
		s2 := m.next(t)
		require.Equal(t, map[string][]string{"web": {"g: a:2"}, "db": {"g: b:1"}}, describe(s2))
	})
}

// A consumer that mutates every map it receives, while the Manager builds
// snapshots as fast as discoverers change, races with nothing (run under
// -race) and never changes what later snapshots hold.
func TestMutatingConsumerUnderLoad(t *testing.T) {
	m := start(t, func(o *discovery.ManagerOptions) { o.UpdateInterval = time.Microsecond })
	mocks := []*discoverytest.Mock{discoverytest.NewMock("a"), discoverytest.NewMock("b"), discoverytest.NewMock("c")}
	sets := map[string]discovery.Configs{"a": {mocks[0]}, "b": {mocks[1]}, "c": {mocks[2]}}
	m.apply(t, sets)
	const rounds = 300
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range rounds {
			for j, mock := range mocks {
				if err := mock.Send(t.Context(), group("g", strconv.Itoa(j)+":"+strconv.Itoa(i))); err != nil {
					return
				}
			}
		}
	}()
	final := func(s map[string][]*discovery.Group) bool {
		for _, set := range []string{"a", "b", "c"} {
			gs := s[set]
			if len(gs) != 1 || gs[0].Targets[0][discovery.AddressLabel] != set2idx(set)+":"+strconv.Itoa(rounds-1) {
				return false
			}
		}
		return true
	}
	timeout := time.After(time.Minute)
	for {
		var s map[string][]*discovery.Group
		select {
		case s = <-m.SyncCh():
		case <-timeout:
			t.Fatal("no snapshot with the final state")
		}
		for set, groups := range s {
			require.Contains(t, []string{"a", "b", "c"}, set, "a key the consumer added came back")
			require.NotNil(t, groups, "a nil the consumer stored came back")
		}
		if final(s) {
			require.Len(t, s, 3)
			break
		}
		// Mutate everything a receiver may mutate.
		for set := range s {
			delete(s, set)
		}
		s["junk"] = nil
		s["a"] = nil
	}
	<-done
}

func set2idx(set string) string { return strconv.Itoa(int(set[0] - 'a')) }
