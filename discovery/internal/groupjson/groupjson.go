// Package groupjson decodes the JSON form shared by file_sd files and
// http_sd bodies: a list of groups in discovery.Group's targets/labels form.
package groupjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// DecodeList decodes data as a JSON list of groups. A document that is not
// a list (null included), holds a null entry, an unknown key, a bad target
// or trailing data, or lists more than maxTargets targets in all, is an
// error naming the entry; decoding stops at the first such entry.
func DecodeList(data []byte, maxTargets int) ([]*discovery.Group, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var items []json.RawMessage
	if err := dec.Decode(&items); err != nil {
		return nil, fmt.Errorf("want a JSON list of groups: %w", err)
	}
	if items == nil {
		return nil, errors.New("want a JSON list of groups, got null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the list")
	}
	groups := make([]*discovery.Group, 0, len(items))
	targets := 0
	for i, item := range items {
		if bytes.Equal(bytes.TrimSpace(item), []byte("null")) {
			return nil, fmt.Errorf("entry %d is null", i)
		}
		g := new(discovery.Group)
		if err := g.UnmarshalJSON(item); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if targets += len(g.Targets); targets > maxTargets {
			return nil, fmt.Errorf("more than max_targets (%d) targets", maxTargets)
		}
		groups = append(groups, g)
	}
	return groups, nil
}
