package all

import (
	"errors"
	"fmt"

	promdisc "github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/aws"
	"github.com/prometheus/prometheus/discovery/azure"
	"github.com/prometheus/prometheus/discovery/consul"
	"github.com/prometheus/prometheus/discovery/digitalocean"
	"github.com/prometheus/prometheus/discovery/dns"
	"github.com/prometheus/prometheus/discovery/eureka"
	"github.com/prometheus/prometheus/discovery/file"
	"github.com/prometheus/prometheus/discovery/gce"
	"github.com/prometheus/prometheus/discovery/hetzner"
	"github.com/prometheus/prometheus/discovery/http"
	"github.com/prometheus/prometheus/discovery/ionos"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/linode"
	"github.com/prometheus/prometheus/discovery/marathon"
	"github.com/prometheus/prometheus/discovery/moby"
	"github.com/prometheus/prometheus/discovery/nomad"
	"github.com/prometheus/prometheus/discovery/oci"
	"github.com/prometheus/prometheus/discovery/openstack"
	"github.com/prometheus/prometheus/discovery/outscale"
	"github.com/prometheus/prometheus/discovery/ovhcloud"
	"github.com/prometheus/prometheus/discovery/puppetdb"
	"github.com/prometheus/prometheus/discovery/scaleway"
	"github.com/prometheus/prometheus/discovery/stackit"
	"github.com/prometheus/prometheus/discovery/triton"
	"github.com/prometheus/prometheus/discovery/uyuni"
	"github.com/prometheus/prometheus/discovery/vultr"
	"github.com/prometheus/prometheus/discovery/xds"
	"github.com/prometheus/prometheus/discovery/zookeeper"

	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

// AliasPrefix prefixes the names under which Register puts the
// Prometheus mechanisms whose names ecopatterns serves natively
// (promsd.NativeNames): Prometheus's file_sd_configs is configured as
// prometheus_file_sd_configs, and so on.
const AliasPrefix = "prometheus_"

// Register registers every service discovery mechanism of
// github.com/prometheus/prometheus/discovery/install with opts: each under
// its own name, except those whose names ecopatterns serves natively
// (file, dns, http), which go under AliasPrefix + name. A mechanism
// already registered, by name or by type, is skipped and named in the
// returned error (wrapping promsd.ErrRegistered); the others are
// registered all the same. Call it once, before decoding configurations.
func Register(opts promsd.Options) error {
	var errs []error
	for _, r := range registrations {
		if err := r(opts); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// registrations registers each mechanism of Prometheus's install package,
// in the order of its imports.
var registrations = []func(promsd.Options) error{
	reg(&aws.SDConfig{}), reg(&aws.EC2SDConfig{}), reg(&aws.ECSSDConfig{}), reg(&aws.ElasticacheSDConfig{}),
	reg(&aws.LightsailSDConfig{}), reg(&aws.MSKSDConfig{}), reg(&aws.RDSSDConfig{}),
	reg(&azure.SDConfig{}),
	reg(&consul.SDConfig{}),
	reg(&digitalocean.SDConfig{}),
	reg(&dns.SDConfig{}),
	reg(&eureka.SDConfig{}),
	reg(&file.SDConfig{}),
	reg(&gce.SDConfig{}),
	reg(&hetzner.SDConfig{}),
	reg(&http.SDConfig{}),
	reg(&ionos.SDConfig{}),
	reg(&kubernetes.SDConfig{}),
	reg(&linode.SDConfig{}),
	reg(&marathon.SDConfig{}),
	reg(&moby.DockerSDConfig{}), reg(&moby.DockerSwarmSDConfig{}),
	reg(&nomad.SDConfig{}),
	reg(&oci.SDConfig{}),
	reg(&openstack.SDConfig{}),
	reg(&outscale.SDConfig{}),
	reg(&ovhcloud.SDConfig{}),
	reg(&puppetdb.SDConfig{}),
	reg(&scaleway.SDConfig{}),
	reg(&stackit.SDConfig{}),
	reg(&triton.SDConfig{}),
	reg(&uyuni.SDConfig{}),
	reg(&vultr.SDConfig{}),
	reg(&xds.KumaSDConfig{}),
	reg(&zookeeper.ServersetSDConfig{}), reg(&zookeeper.NerveSDConfig{}),
}

// Names returns the configuration name Register gives each mechanism of
// Prometheus's install package, keyed by Prometheus's name.
func Names() map[string]string {
	out := make(map[string]string, len(names))
	for k, v := range names {
		out[k] = v
	}
	return out
}

var names = map[string]string{}

// reg returns the registration of proto's type, under its name or, for a
// native name, under AliasPrefix + its name.
func reg[T promdisc.Config](proto T) func(promsd.Options) error {
	name := proto.Name()
	alias := name
	for _, n := range promsd.NativeNames {
		if n == name {
			alias = AliasPrefix + name
		}
	}
	names[name] = alias
	return func(opts promsd.Options) error {
		var err error
		if alias == name {
			err = promsd.Register(proto, opts)
		} else {
			err = promsd.RegisterAs(alias, proto, opts)
		}
		if err != nil {
			return fmt.Errorf("all: %s: %w", name, err)
		}
		return nil
	}
}
