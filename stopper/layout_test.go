package stopper

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestShardLayout checks what the shard's doc promises: a shard is one
// 64-byte cache line, and each starts on a line of its own.
func TestShardLayout(t *testing.T) {
	require.Equal(t, uintptr(64), unsafe.Sizeof(shard{}), "a shard is one cache line")
	s, err := New(DefaultOptions())
	require.NoError(t, err)
	for i, sh := range s.shards {
		require.Zero(t, uintptr(unsafe.Pointer(sh))%64, "shard %d starts on a cache line", i)
	}
	stopped := s.IsStopped()
	go func() { _ = s.Stop(t.Context()) }()
	<-stopped
}

// TestShardSlots fills one shard past its own slot and empties it again,
// in an order that reuses the free slots, and checks the running tasks
// seen on the way.
func TestShardSlots(t *testing.T) {
	s, err := New(DefaultOptions())
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Stop(t.Context())) }()
	f := func() {}
	var refs []slotRef
	for i := range 5 {
		ref, ok := s.admit(7, string(rune('a'+i)), funcPtr(f))
		require.True(t, ok)
		require.Equal(t, slotRef{shard: 7, i: int32(i)}, ref)
		refs = append(refs, ref)
	}
	require.Equal(t, 5, s.NumTasks())
	s.release(refs[0])
	s.release(refs[3])
	names := func() (out []string) {
		for _, r := range s.running() {
			out = append(out, r.name)
		}
		return out
	}
	require.ElementsMatch(t, []string{"b", "c", "e"}, names())
	ref, ok := s.admit(7, "x", funcPtr(f))
	require.True(t, ok)
	require.Equal(t, int32(3), ref.i, "the last freed slot is reused first")
	ref2, ok := s.admit(7, "y", funcPtr(f))
	require.True(t, ok)
	require.Equal(t, int32(0), ref2.i, "then the shard's own slot")
	require.Equal(t, "y", s.slotName(ref2))
	require.ElementsMatch(t, []string{"b", "c", "e", "x", "y"}, names())
	for _, r := range []slotRef{refs[1], refs[2], refs[4], ref, ref2} {
		s.release(r)
	}
	require.Zero(t, s.NumTasks())
	require.Empty(t, names())
}
