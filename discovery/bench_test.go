package discovery_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// BenchmarkManagerUpdate measures the fan-in hot path: providers sending
// incremental updates (one changed group of ten) that the Manager merges
// into their mailboxes while a consumer takes snapshots.
func BenchmarkManagerUpdate(b *testing.B) {
	for _, providers := range []int{1, 100} {
		b.Run("providers="+strconv.Itoa(providers), func(b *testing.B) {
			m, err := discovery.NewManager(discovery.DefaultManagerOptions())
			require.NoError(b, err)
			per := b.N/providers + 1
			sent := make(chan struct{}, providers)
			cfg := make(map[string]discovery.Configs, providers)
			for p := range providers {
				updates := make([][]*discovery.Group, 16)
				for i := range updates {
					updates[i] = []*discovery.Group{group(strconv.Itoa(i%10), "a:"+strconv.Itoa(i))}
				}
				full := make([]*discovery.Group, 10)
				for i := range full {
					full[i] = group(strconv.Itoa(i), "a:1")
				}
				cfg["set"+strconv.Itoa(p)] = discovery.Configs{&funcConfig{ID: strconv.Itoa(p), fn: func(ctx context.Context, up chan<- []*discovery.Group, run int) {
					up <- full
					for i := range per {
						select {
						case up <- updates[i%len(updates)]:
						case <-ctx.Done():
							return
						}
					}
					sent <- struct{}{}
					<-ctx.Done()
				}}}
			}
			ctx, cancel := context.WithCancel(b.Context())
			done := make(chan error)
			go func() { done <- m.Run(ctx) }()
			go func() {
				for range m.SyncCh() {
				}
			}()
			b.ReportAllocs()
			b.ResetTimer()
			require.NoError(b, m.ApplyConfig(cfg))
			for range providers {
				<-sent
			}
			b.StopTimer()
			cancel()
			require.NoError(b, <-done)
		})
	}
}

func BenchmarkGroupUnmarshalJSON(b *testing.B) {
	data := []byte(`{"targets": ["a:1", "b:1", "c:1", "d:1"], "labels": {"env": "prod", "team": "core"}}`)
	b.ReportAllocs()
	for b.Loop() {
		var g discovery.Group
		if err := json.Unmarshal(data, &g); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGroupEqual measures the comparison behind no-op suppression: a
// group of five address-only targets against an equal copy.
func BenchmarkGroupEqual(b *testing.B) {
	addrs := []string{"10.0.0.1:9000", "10.0.0.2:9000", "10.0.0.3:9000", "10.0.0.4:9000", "10.0.0.5:9000"}
	a, c := group("g", addrs...), group("g", addrs...)
	a.Labels, c.Labels = discovery.Labels{"env": "prod"}, discovery.Labels{"env": "prod"}
	b.ReportAllocs()
	for b.Loop() {
		if !a.Equal(c) {
			b.Fatal("not equal")
		}
	}
}
