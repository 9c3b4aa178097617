// Package all registers every service discovery mechanism that Prometheus
// ships (those its discovery/install package links) with ecopatterns's
// discovery registry, through promsd, so that a Prometheus configuration's
// <name>_sd_configs sections decode unchanged into discovery.Configs.
//
// # Compose
//
// Call Register once at start-up, before decoding configurations:
//
//	if err := all.Register(promsd.DefaultOptions()); err != nil {
//		log.Fatal(err)
//	}
//
// Importing it links every mechanism and its client library (AWS, Azure,
// GCE, Kubernetes, ...), which makes binaries large and builds slow; a
// program that needs a few mechanisms registers them one by one with
// promsd.Register instead. That is why this package is a module of its
// own.
//
// # Extend
//
// A mechanism of another module is registered with promsd.Register or
// promsd.RegisterAs next to this package's Register.
//
// # Deliberately not done
//
// Mechanisms whose names ecopatterns serves natively (file, dns, http) are
// not registered under those names, which stay with ecopatterns's own
// packages: Prometheus's are registered as prometheus_file,
// prometheus_dns and prometheus_http (AliasPrefix), so that a program
// never runs one in place of the other without saying so. Names reports
// the mapping. Nothing is registered from an init function, so that the
// options are the program's.
package all
