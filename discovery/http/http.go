package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/refresh"
	"github.com/ecopatterns/ecopatterns/options"
)

// URLLabel is the label holding the URL a group came from, without any
// user information it held.
const URLLabel = discovery.MetaLabelPrefix + "url"

// Config configures HTTP discovery, under the key http_sd_configs.
type Config struct {
	// URL is the http or https URL to GET. It is required.
	URL string `json:"url" yaml:"url"`
	// RefreshInterval is the time between two requests. It must be > 0.
	RefreshInterval time.Duration `json:"refresh_interval" yaml:"refresh_interval"`
	// Timeout bounds one request, from connecting to reading the last byte
	// of the body. It must be > 0.
	Timeout time.Duration `json:"timeout" yaml:"timeout"`
	// MaxBodySize is the largest response body, in bytes, that is read; a
	// larger one is a reported failure. It must be > 0.
	MaxBodySize int64 `json:"max_body_size" yaml:"max_body_size"`
	// MaxTargets is the most targets one response may list; a response
	// with more is a reported failure. It must be > 0.
	MaxTargets int `json:"max_targets" yaml:"max_targets"`
	// MaxRedirects is the most redirects a request follows; 0 follows
	// none. It must be >= 0.
	MaxRedirects int `json:"max_redirects" yaml:"max_redirects"`
	// BearerTokenFile, if set, names a file whose content, trimmed of
	// white space, is sent as "Authorization: Bearer <token>". It is read
	// at every request, so a rotated token is picked up, and never
	// logged.
	BearerTokenFile string `json:"bearer_token_file,omitempty" yaml:"bearer_token_file,omitempty"`
	// BasicAuth, if set, sends HTTP basic authentication. At most one of
	// BearerTokenFile and BasicAuth may be set.
	BasicAuth *BasicAuth `json:"basic_auth,omitempty" yaml:"basic_auth,omitempty"`
}

// BasicAuth is the user and password file of HTTP basic authentication.
type BasicAuth struct {
	// Username is the user name. It is required.
	Username string `json:"username" yaml:"username"`
	// PasswordFile names a file whose content, trimmed of white space, is
	// the password. It is read at every request and never logged. It is
	// required.
	PasswordFile string `json:"password_file" yaml:"password_file"`
}

// DefaultConfig returns a new Config holding the defaults of a decoded
// http_sd_configs entry: a request every 60 s, each bounded by 30 s,
// bodies up to 10 MiB and 100,000 targets, up to 10 redirects, no
// authentication, no URL.
func DefaultConfig() *Config {
	return &Config{
		RefreshInterval: time.Minute,
		Timeout:         30 * time.Second,
		MaxBodySize:     10 << 20,
		MaxTargets:      100_000,
		MaxRedirects:    10,
	}
}

func init() {
	discovery.RegisterConfig(DefaultConfig())
}

var _ discovery.Config = (*Config)(nil)

// Name returns "http".
func (*Config) Name() string { return "http" }

// Validate reports every field that is not usable.
func (c *Config) Validate() error {
	var v options.Collector
	if err := checkURL(c.URL); err != nil {
		v.Add("url", redact(c.URL), err.Error())
	}
	options.Positive(&v, "refresh_interval", c.RefreshInterval)
	options.Positive(&v, "timeout", c.Timeout)
	options.Positive(&v, "max_body_size", c.MaxBodySize)
	options.Positive(&v, "max_targets", c.MaxTargets)
	options.Check(&v, c.MaxRedirects >= 0, "max_redirects", c.MaxRedirects, "must be >= 0")
	if c.BasicAuth != nil {
		options.Check(&v, c.BearerTokenFile == "", "bearer_token_file", c.BearerTokenFile, "must be empty when basic_auth is set")
		options.Check(&v, c.BasicAuth.Username != "", "basic_auth.username", c.BasicAuth.Username, "must not be empty")
		options.Check(&v, c.BasicAuth.PasswordFile != "", "basic_auth.password_file", c.BasicAuth.PasswordFile, "must name a file")
	}
	return v.Err()
}

// checkURL reports what is wrong with the URL to poll.
func checkURL(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New(`must be an "http" or "https" URL`)
	}
	if u.Host == "" {
		return errors.New("must name a host")
	}
	return nil
}

// redact returns s without the password of its user information, if it
// parses as a URL.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// NewDiscoverer validates c and returns a discoverer that polls its URL
// every RefreshInterval.
func (c *Config) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	p := &poller{
		url:        c.URL,
		label:      redact(c.URL),
		interval:   c.RefreshInterval,
		timeout:    c.Timeout,
		maxBody:    c.MaxBodySize,
		maxTargets: c.MaxTargets,
		tokenFile:  c.BearerTokenFile,
		client: &http.Client{
			Transport:     transport,
			CheckRedirect: limitRedirects(c.MaxRedirects),
		},
	}
	if c.BasicAuth != nil {
		p.user, p.passwordFile = c.BasicAuth.Username, c.BasicAuth.PasswordFile
	}
	inner, err := refresh.New(c.RefreshInterval, p.refresh)
	if err != nil {
		return nil, err
	}
	return &discoverer{inner: inner, transport: transport}, nil
}

// limitRedirects returns a CheckRedirect function that follows up to max
// redirects.
func limitRedirects(max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > max {
			return fmt.Errorf("stopped after %d redirect(s), the max_redirects", max)
		}
		return nil
	}
}

// discoverer runs the refresh loop and, when it returns, closes the idle
// connections of its own transport, so that none outlives it.
type discoverer struct {
	inner     *refresh.Discoverer
	transport *http.Transport
}

var _ discovery.Discoverer = (*discoverer)(nil)

// Run requests the URL at once, then every RefreshInterval, until ctx is
// cancelled.
func (d *discoverer) Run(ctx context.Context, up chan<- []*discovery.Group) {
	defer d.transport.CloseIdleConnections()
	d.inner.Run(ctx, up)
}

// readSecret returns the content of a secret file without surrounding white
// space. Its error names the file, never the content.
func readSecret(path, what string) (string, error) {
	b, err := readFile(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", what, err)
	}
	return strings.TrimSpace(string(b)), nil
}
