package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/internal/yamlbound"
)

// parse decodes the groups of a file in the given format ("json" or
// "yaml"). An empty file, and one with more than maxTargets targets, are
// errors.
func parse(data []byte, format string, maxTargets int) ([]*discovery.Group, error) {
	groups, err := decodeGroups(data, format)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, g := range groups {
		n += len(g.Targets)
	}
	if n > maxTargets {
		return nil, fmt.Errorf("%d targets, more than max_targets (%d)", n, maxTargets)
	}
	return groups, nil
}

// decodeGroups decodes the groups of a file in the given format. A YAML
// file whose aliases expand it excessively is refused before any group is
// decoded.
func decodeGroups(data []byte, format string) ([]*discovery.Group, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty file; write [] for a file without targets")
	}
	var groups []*discovery.Group
	switch format {
	case "json":
		var items []json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&items); err != nil {
			return nil, fmt.Errorf("want a JSON list of groups: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, errors.New("trailing data after the list")
		}
		for i, item := range items {
			if bytes.Equal(bytes.TrimSpace(item), []byte("null")) {
				return nil, fmt.Errorf("entry %d is null", i)
			}
			g := new(discovery.Group)
			if err := g.UnmarshalJSON(item); err != nil {
				return nil, fmt.Errorf("entry %d: %w", i, err)
			}
			groups = append(groups, g)
		}
	case "yaml":
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		if err := yamlbound.Check(&doc); err != nil {
			return nil, err
		}
		n := &doc
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			n = n.Content[0]
		}
		if n.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("line %d: want a YAML list of groups", n.Line)
		}
		for i, item := range n.Content {
			if item.Kind == yaml.ScalarNode && item.ShortTag() == "!!null" {
				return nil, fmt.Errorf("entry %d (line %d) is null", i, item.Line)
			}
			g := new(discovery.Group)
			if err := item.Decode(g); err != nil {
				return nil, fmt.Errorf("entry %d: %w", i, err)
			}
			groups = append(groups, g)
		}
	default:
		return nil, fmt.Errorf("unknown format %q", format)
	}
	return groups, nil
}
