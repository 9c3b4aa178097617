package discoverytest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

func g(source string, addrs ...string) *discovery.Group {
	gr := &discovery.Group{Source: source, Targets: []discovery.Labels{}}
	for _, a := range addrs {
		gr.Targets = append(gr.Targets, discovery.Labels{discovery.AddressLabel: a})
	}
	return gr
}

// The recorder keeps updates and reported errors in the order the
// discoverer made them, merges the updates into Groups, and its waits end
// with the context.
func TestStartRecordsInOrder(t *testing.T) {
	step := make(chan struct{})
	r := discoverytest.Start(t, funcConfig{func(ctx context.Context, up chan<- []*discovery.Group) {
		up <- []*discovery.Group{g("a", "a:1"), g("b", "b:1")}
		discovery.ReportError(ctx, errors.New("b is flaky"))
		up <- []*discovery.Group{g("b")}
		discovery.ReportError(ctx, errors.New("second"))
		select {
		case <-step:
		case <-ctx.Done():
			return
		}
		up <- []*discovery.Group{g("c", "c:1")}
		<-ctx.Done()
	}})
	ctx := t.Context()
	first, err := r.NextUpdate(ctx)
	require.NoError(t, err)
	require.Equal(t, "a: a:1\nb: b:1", discoverytest.String(first))
	reported, err := r.NextError(ctx)
	require.NoError(t, err)
	require.EqualError(t, reported, "b is flaky")
	e, err := r.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "b: ", e.String())
	e, err = r.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "error: second", e.String())

	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = r.Next(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "nothing more until the discoverer moves")

	close(step)
	third, err := r.NextUpdate(ctx)
	require.NoError(t, err)
	require.Equal(t, "c: c:1", discoverytest.String(third))
	require.Equal(t, "a: a:1\nc: c:1", discoverytest.String(r.Groups()))
	require.Len(t, r.Events(), 5)
	r.Stop()
	r.Stop()
}

// The recorder fails the test for a discoverer that breaks the contract
// while it runs.
func TestStartReportsBrokenContracts(t *testing.T) {
	for name, c := range map[string]struct {
		fn   func(ctx context.Context, up chan<- []*discovery.Group)
		want string
	}{
		"returns early": {func(ctx context.Context, up chan<- []*discovery.Group) {
			up <- []*discovery.Group{}
		}, "Run returned before its context was cancelled"},
		"nil group": {func(ctx context.Context, up chan<- []*discovery.Group) {
			up <- []*discovery.Group{nil}
			<-ctx.Done()
		}, "group 0 is nil"},
		"nil first": {func(ctx context.Context, up chan<- []*discovery.Group) {
			up <- nil
			<-ctx.Done()
		}, "the first send is a nil slice"},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeT{}
				discoverytest.Start(f, funcConfig{c.fn})
				synctest.Wait() // the discoverer did what it does
				for i := len(f.cleanups) - 1; i >= 0; i-- {
					f.cleanups[i]()
				}
				require.Len(t, f.failures, 1)
				require.Contains(t, f.failures[0], c.want)
			})
		})
	}
}
