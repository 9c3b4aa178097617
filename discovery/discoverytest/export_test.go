package discoverytest

// RuleNames lists the names of the rules Run judges, in table order.
func RuleNames() []string {
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.name
	}
	return names
}
