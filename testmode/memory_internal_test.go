package testmode

import (
	"cmp"
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMemQueueOrder checks that a queue's fifo and heaps together give due
// jobs in the order one heap would: by priority, then due time, then ID,
// whatever mix of in-order and out-of-order pushes, promotions and pops.
func TestMemQueueOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		q := &memQueue{avail: jobHeap{byPriority: true}}
		var want []heapItem // the queued due items
		base := time.Unix(1_700_000_000, 0)
		now := base
		nextID := int64(0)
		for range 300 {
			switch op := rng.IntN(10); {
			case op < 6: // push: mostly in order, sometimes not
				nextID++
				at := now
				if rng.IntN(4) == 0 {
					at = now.Add(time.Duration(rng.IntN(2000)-1000) * time.Millisecond)
				}
				prio := 0
				if round%2 == 1 {
					prio = rng.IntN(3)
				}
				it := heapItem{prio: prio, at: dueNanos(at), id: nextID, row: &JobRow{ID: nextID}}
				due := !at.After(now)
				q.push(it, due)
				if due {
					want = append(want, it)
				}
			case op < 7: // time passes: scheduled items become due
				now = now.Add(time.Duration(rng.IntN(800)) * time.Millisecond)
				for len(q.sched.items) > 0 && q.sched.items[0].at <= dueNanos(now) {
					it := q.sched.pop()
					q.pushDue(it)
					want = append(want, it)
				}
			default: // pop
				got, ok := q.popDue()
				require.Equal(t, len(want) > 0, ok)
				if !ok {
					continue
				}
				first := slices.MinFunc(want, func(a, b heapItem) int {
					return cmp.Or(cmp.Compare(a.prio, b.prio), cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id))
				})
				require.Equal(t, first.id, got.id, "round %d", round)
				want = slices.DeleteFunc(want, func(it heapItem) bool { return it.id == got.id })
			}
			require.Equal(t, len(want), q.fifo.n+len(q.avail.items))
		}
	}
}

func TestPlainType(t *testing.T) {
	for typ, want := range map[reflect.Type]bool{
		reflect.TypeFor[struct {
			S string
			N int64
			F float32
			B bool
			A [2]uint8
			C struct{ X string }
		}](): true,
		reflect.TypeFor[plainArgs]():             false, // slices, maps, pointers
		reflect.TypeFor[*struct{ S string }]():   false,
		reflect.TypeFor[struct{ B []byte }]():    false,
		reflect.TypeFor[struct{ A any }]():       false,
		reflect.TypeFor[struct{ T time.Time }](): false,
		reflect.TypeFor[struct {
			N int `json:",string"`
		}](): false, // not lossless
		reflect.TypeFor[struct{ s string }](): false,
	} {
		require.Equal(t, want, plainType(typ), "%s", typ)
	}
}

type flatArgs struct {
	To string `json:"to"`
	N  int    `json:"n,omitempty"`
}

func (flatArgs) Kind() string { return "flat" }

// TestPrepareTakesPlainArgs checks that a worker gets plain args as
// inserted, other args and rows without args decoded, and that args of
// another type than the worker's are decoded too.
func TestPrepareTakesPlainArgs(t *testing.T) {
	var got []flatArgs
	ws := NewWorkers()
	require.NoError(t, AddWorker(ws, WorkerFunc[flatArgs](func(_ context.Context, j *Job[flatArgs]) error {
		got = append(got, j.Args)
		return nil
	})))
	r, ok := ws.lookup("flat")
	require.True(t, ok)
	args := flatArgs{To: "ada", N: 3}
	require.True(t, r.takes(args))
	require.False(t, r.takes(&args))
	require.False(t, r.takes(plainArgs{}))

	row := &JobRow{ID: 7, Kind: "flat", EncodedArgs: []byte(`{"to":"bob"}`)}
	for _, a := range []Args{args, nil, &args} {
		p, err := r.prepare(row, a)
		require.NoError(t, err)
		require.NoError(t, p.perform(context.Background()))
	}
	require.Equal(t, []flatArgs{{To: "ada", N: 3}, {To: "bob"}, {To: "bob"}}, got)
}

// TestClock checks that the clock's times follow time.Now and compare with
// its readings on the monotonic clock. Its wall time lies between the wall
// times read around it, give or take a second for adjustments of the
// system clock: a bound on how far the wall times drift apart, whatever
// the time the goroutine spent off its CPU between the readings.
func TestClock(t *testing.T) {
	var c clock
	for range 1000 {
		before := time.Now()
		got := c.now()
		after := time.Now()
		require.False(t, got.Before(before), "%v < %v", got, before)
		require.False(t, got.After(after), "%v > %v", got, after)
		wall := got.Round(0)
		require.False(t, wall.Before(before.Round(0).Add(-time.Second)), "wall time off: %v, read %v before", wall, before.Round(0))
		require.False(t, wall.After(after.Round(0).Add(time.Second)), "wall time off: %v, read %v after", wall, after.Round(0))
	}
}
