package discovery_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// ApplyConfig 1,000 times with churn, while one discoverer ignores its
// context when sending: the Manager leaks nothing but that discoverer,
// reports it, and forgets it once it returns.
func TestApplyConfigChurnLeaksOnlyTheReportedDiscoverer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ignore := goleak.IgnoreCurrent()
		m := start(t, nil)
		consumed := make(chan int)
		go func() {
			n := 0
			for range m.SyncCh() {
				n++
			}
			consumed <- n
		}()

		release := make(chan struct{})
		released := false
		t.Cleanup(func() {
			if !released {
				close(release)
			}
		})
		stubborn := &funcConfig{ID: "stubborn", fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
			for i := 0; ; i++ {
				select { // no ctx.Done(): this is the bug under test
				case up <- []*discovery.Group{group("s", "s:"+itoa(i))}:
				case <-release:
					return
				}
				time.Sleep(time.Second)
			}
		}}
		polite := func(id string) *funcConfig {
			return &funcConfig{ID: id, fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
				select {
				case up <- []*discovery.Group{group(id, id+":1")}:
				case <-ctx.Done():
					return
				}
				<-ctx.Done()
			}}
		}
		rng := rand.New(rand.NewPCG(4, 2))
		sets := []string{"a", "b", "c", "d", "e"}
		for i := range 1000 {
			cfg := make(map[string]discovery.Configs)
			for _, set := range sets {
				var cs discovery.Configs
				for k := range 6 {
					if rng.IntN(2) == 0 {
						continue
					}
					if k%2 == 0 {
						cs = append(cs, discovery.StaticConfig{group("", set+itoa(k)+":1")})
					} else {
						cs = append(cs, polite("p"+itoa(k)))
					}
				}
				if rng.IntN(4) > 0 {
					cfg[set] = cs
				}
			}
			if i < 500 {
				cfg["stubborn"] = discovery.Configs{stubborn}
			}
			require.NoError(t, m.ApplyConfig(cfg))
			time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		}
		time.Sleep(time.Minute)
		synctest.Wait()

		var leaked []discovery.ProviderInfo
		for _, p := range m.Providers() {
			if p.Leaked > 0 {
				leaked = append(leaked, p)
			}
		}
		require.Len(t, leaked, 1)
		require.Equal(t, "func", leaked[0].Config)
		require.Equal(t, 1, leaked[0].Leaked)
		require.Equal(t, discovery.StateLeaked, leaked[0].State)
		require.Empty(t, leaked[0].Sets)

		var le *discovery.LeakedError
		require.ErrorAs(t, m.stop(), &le)
		require.Equal(t, []string{leaked[0].Name}, le.Providers)
		require.Positive(t, <-consumed)

		err := goleak.Find(ignore)
		require.Error(t, err)
		require.Equal(t, 1, strings.Count(err.Error(), "Goroutine "), "only the reported discoverer is left: %v", err)
		require.Contains(t, err.Error(), "TestApplyConfigChurnLeaksOnlyTheReportedDiscoverer")

		close(release)
		released = true
		synctest.Wait()
		for _, p := range m.Providers() {
			require.NotEqual(t, leaked[0].Name, p.Name, "a removed provider is forgotten once its discoverer returns")
			require.Equal(t, discovery.StateStopped, p.State)
		}
		goleak.VerifyNone(t, ignore)
	})
}
