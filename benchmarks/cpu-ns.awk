# cpu-ns.awk rewrites go test -bench output so that each result's ns/op is
# its cpu-ns/op (the CPU time the process used per operation, reported by
# the benchmarks that call reportCPU), for cmd/ratios to compare. On a
# machine shared with other busy processes ns/op also counts the time spent
# waiting for a core; cpu-ns/op does not. Lines without cpu-ns/op pass
# through unchanged. Usage, from this directory:
#
#	go test -run '^$' -bench 'Stopper(Spawn|RunTask)' -count 5 . | awk -f cpu-ns.awk | go run ./cmd/ratios
/^Benchmark/ {
	cpu = ""
	for (i = 2; i < NF; i++) if ($(i + 1) == "cpu-ns/op") cpu = $i
	if (cpu != "") {
		line = $1 "\t" $2
		for (i = 3; i < NF; i += 2) {
			if ($(i + 1) == "cpu-ns/op") continue
			line = line "\t" ($(i + 1) == "ns/op" ? cpu : $i) " " $(i + 1)
		}
		print line
		next
	}
}
{ print }
