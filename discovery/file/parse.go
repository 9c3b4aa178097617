package file

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/internal/groupjson"
	"github.com/ecopatterns/ecopatterns/discovery/internal/yamlbound"
)

// parse decodes the groups of a file in the given format ("json" or
// "yaml"). An empty file, a document that is not a list (a JSON or YAML
// null included), and one with more than maxTargets targets, are errors.
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
		// Targets are counted by parse, for both formats.
		return groupjson.DecodeList(data, math.MaxInt)
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
