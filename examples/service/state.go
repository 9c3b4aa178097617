package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/ecopatterns/ecopatterns/fileops"
)

const (
	targetsFile = "targets.json"
	stateFile   = "state.json"
)

// initialTargets is what targets.json holds after the first run: the demo
// endpoints that fail in each way. Edit the file while the prober runs to
// change what it probes.
const initialTargets = `[
  {
    "targets": ["http://demo/slow", "http://demo/flaky", "http://demo/unavailable", "http://demo/gone"],
    "labels": {"team": "demo"}
  }
]
`

// state is the content of state.json: the latest final result of every
// target.
type state struct {
	Round     int                     `json:"round"`
	UpdatedAt time.Time               `json:"updated_at"`
	Targets   map[string]targetResult `json:"targets"`
}

// stateStore writes state.json atomically in a directory opened with
// fileops.Open: a reader, or the next start after a crash, sees the
// previous content or the new one, never a mix.
type stateStore struct {
	dir *fileops.Dir
	mu  sync.Mutex // orders writes, so that the last round's state lands last
}

// write replaces state.json with st.
func (s *stateStore) write(ctx context.Context, st state) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.UpdatedAt = time.Now().UTC()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return s.dir.WriteFile(ctx, stateFile, append(data, '\n'), 0o644)
}

// previous reads the state an earlier run left; ok is false when there is
// none. A state.json that does not decode is an error: fileops never leaves
// a torn one, so it was written by something else.
func (s *stateStore) previous(ctx context.Context) (st state, ok bool, err error) {
	data, err := s.dir.ReadFile(ctx, stateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, false, fmt.Errorf("service: %s: %w", stateFile, err)
	}
	return st, true, nil
}

// ensureTargets writes the initial targets.json unless the file exists.
func (s *stateStore) ensureTargets(ctx context.Context) (created bool, err error) {
	_, err = s.dir.ReadFile(ctx, targetsFile)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, s.dir.WriteFile(ctx, targetsFile, []byte(initialTargets), 0o644)
}
