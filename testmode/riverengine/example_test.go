package riverengine_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/riverengine"
)

// Options are checked before New touches the database: every bad field is
// reported at once.
func ExampleOptions_Validate() {
	opts := riverengine.DefaultOptions()
	opts.Queues = map[string]testmode.QueueOptions{"mail.outbound": {Limit: 10}}
	opts.JobTimeout = 2 * time.Hour // longer than RescueStuckJobsAfter
	err := opts.Validate()
	var fe *options.FieldError
	for _, e := range unjoin(err) {
		if errors.As(e, &fe) {
			fmt.Println(fe.Path)
		}
	}
	// Output:
	// Queues[mail.outbound]
	// RescueStuckJobsAfter
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
