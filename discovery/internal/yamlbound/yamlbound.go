// Package yamlbound bounds what a YAML document may expand into through
// aliases, for the packages of discovery that decode YAML node by node.
//
// yaml.v3 refuses excessive aliasing when it decodes a whole document
// itself, but code that walks a *yaml.Node and decodes its parts one by
// one starts a new count for every part and never reaches that check, so a
// small document of aliases to aliases can expand into millions of values.
package yamlbound

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// The expansion a document may have: up to Floor nodes whatever its size,
// beyond that up to Ratio times the nodes it is written with. Configuration
// that uses anchors and merge keys to share defaults stays far below both;
// the "billion laughs" shapes exceed them by orders of magnitude.
const (
	Floor = 10_000
	Ratio = 10
)

// Check counts the nodes of n with every alias expanded, in time linear in
// the nodes written, and returns an error when they exceed Floor and Ratio
// times the nodes written, naming the line of n. A nil n is fine.
func Check(n *yaml.Node) error {
	c := counter{expanded: make(map[*yaml.Node]int64)}
	total := c.count(n)
	written := int64(len(c.expanded))
	if total > Floor && total > Ratio*written {
		line := 0
		if n != nil {
			line = n.Line
		}
		return fmt.Errorf("line %d: excessive aliasing: the YAML expands to more than %d values from %d written; write the values out or use fewer aliases", line, min(total, limitHit), written)
	}
	return nil
}

// limitHit caps the count, so that it cannot overflow, at a size past any
// limit.
const limitHit = 1 << 40

// counter counts expanded nodes, remembering the count of every node it
// has seen, so that an alias costs one lookup however often it is used.
type counter struct {
	expanded map[*yaml.Node]int64
}

func (c *counter) count(n *yaml.Node) int64 {
	if n == nil {
		return 0
	}
	if v, ok := c.expanded[n]; ok {
		return v
	}
	// A node under count is 1, so that a cycle (which the parser refuses
	// anyway) ends.
	c.expanded[n] = 1
	total := int64(1)
	if n.Kind == yaml.AliasNode {
		total = c.count(n.Alias)
	}
	for _, k := range n.Content {
		total = min(total+c.count(k), limitHit)
	}
	c.expanded[n] = total
	return total
}
