package discovery

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrUnknownConfig is returned when Configs meets a key that no
	// registered mechanism owns. The message lists the known keys and
	// suggests the closest one.
	ErrUnknownConfig = errors.New("discovery: unknown configuration key")
	// ErrReturnedEarly is a provider's error when its discoverer's Run
	// returned before its context was cancelled.
	ErrReturnedEarly = errors.New("discovery: discoverer's Run returned before its context was cancelled")
	// ErrChannelClosed is a provider's error when its discoverer closed its
	// update channel, which the contract forbids.
	ErrChannelClosed = errors.New("discovery: discoverer closed its update channel")
	// ErrNilGroup is a provider's error when its discoverer sent a nil
	// group. The other groups of the update are applied.
	ErrNilGroup = errors.New("discovery: discoverer sent a nil group")
	// ErrRunTwice is returned by a second call of Manager.Run.
	ErrRunTwice = errors.New("discovery: Manager.Run called more than once")
	// ErrStopped is returned by ApplyConfig once Run has returned.
	ErrStopped = errors.New("discovery: manager stopped")
)

// PanicError is a provider's error when its discoverer's Run panicked. The
// Manager recovered the panic; the other providers were not affected.
type PanicError struct {
	// Provider names the provider, such as "file/2".
	Provider string
	// Value is the value passed to panic.
	Value any
	// Stack is the panicking goroutine's stack.
	Stack []byte
}

// Error names the provider and the panic value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("discovery: provider %s: discoverer panicked: %v", e.Provider, e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// ConfigError is returned by ApplyConfig for a Config it cannot use: a nil
// one, one that cannot be encoded for comparison, or one whose
// NewDiscoverer failed. ApplyConfig joins one ConfigError per bad Config;
// errors.As finds the first, ConfigErrors all of them.
type ConfigError struct {
	// Set names the target set, Index the Config's position in its Configs
	// and Name the Config's Name ("" for a nil Config).
	Set   string
	Index int
	Name  string
	// Err is what went wrong.
	Err error
}

// Error names the set, the Config's position and name, and the failure.
func (e *ConfigError) Error() string {
	name := e.Name
	if name == "" {
		name = "nil"
	}
	return fmt.Sprintf("discovery: set %q: config %d (%s): %v", e.Set, e.Index, name, e.Err)
}

// Unwrap returns Err.
func (e *ConfigError) Unwrap() error { return e.Err }

// ConfigErrors returns every *ConfigError in err's tree, in order: all the
// bad Configs an ApplyConfig refused, where errors.As finds only the first.
// It returns nil when there are none.
func ConfigErrors(err error) []*ConfigError {
	var out []*ConfigError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *ConfigError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// LeakedError is returned by Manager.Run when, after its context was
// cancelled, some discoverers' Run had not returned within StopTimeout.
// Their goroutines keep running; Manager.Providers lists them as leaked
// until they return.
type LeakedError struct {
	// Providers names the providers whose discoverers did not return,
	// sorted.
	Providers []string
	// Timeout is the StopTimeout they exceeded.
	Timeout time.Duration
}

// Error lists the providers still running.
func (e *LeakedError) Error() string {
	return fmt.Sprintf("discovery: %d discoverer(s) still running %s after cancellation: %s",
		len(e.Providers), e.Timeout, strings.Join(e.Providers, ", "))
}
