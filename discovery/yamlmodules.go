package discovery

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// yamlNodeOf returns the node that the unmarshal function of an
// UnmarshalYAML(func(any) error) method decodes, whichever yaml module
// calls it. go.yaml.in/yaml/v3 hands its node, with lines and aliases, to
// a nodeCatcher. Another module (gopkg.in/yaml.v3 or v2) does not know the
// catcher's method and leaves it empty, or fails on a scalar; for those,
// the value is decoded generically by that module, which resolves aliases
// under its own limits, and encoded into a node without lines.
func yamlNodeOf(unmarshal func(any) error) (*yaml.Node, error) {
	var c nodeCatcher
	if err := unmarshal(&c); err == nil && c.n != nil {
		return c.n, nil
	}
	var v any
	if err := unmarshal(&v); err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, fmt.Errorf("the value decoded by another yaml module cannot be read (decode with go.yaml.in/yaml/v3): %w", err)
	}
	return &n, nil
}

// nodeCatcher keeps the node go.yaml.in/yaml/v3 decodes into it.
type nodeCatcher struct{ n *yaml.Node }

func (c *nodeCatcher) UnmarshalYAML(n *yaml.Node) error {
	c.n = n
	return nil
}

// atLine formats a YAML line for a message: "line N: ", or "" when the line
// is not known (0), as with nodes made by another yaml module.
func atLine(line int) string {
	if line <= 0 {
		return ""
	}
	return "line " + strconv.Itoa(line) + ": "
}
