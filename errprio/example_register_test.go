package errprio_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ecopatterns/ecopatterns/errprio"
)

// CodeQuotaExceeded is a code of this program's own vocabulary.
const CodeQuotaExceeded errprio.Code = "EP429"

// A program registers its own codes from init, ranked between the named
// levels where it needs them.
func init() {
	errprio.RegisterCode(errprio.CodeSpec{
		Code:       CodeQuotaExceeded,
		Name:       "quota_exceeded",
		Priority:   errprio.PriorityRetry + 10, // above plain retries, below "not found"
		Retryable:  true,
		HTTPStatus: http.StatusTooManyRequests,
		GRPCCode:   8, // ResourceExhausted
	})
}

func ExampleRegisterCode() {
	quota := errprio.WithCode(errors.New("tenant 9: quota exceeded"), CodeQuotaExceeded)
	conflict := errprio.WithCode(errors.New("write conflict"), errprio.CodeSerializationFailure)
	top := errprio.Highest(conflict, quota)
	f := errprio.Flatten(top)
	fmt.Println(f.Message, "|", f.Code, f.Priority, f.HTTPStatus, f.Retryable)
	// Output:
	// tenant 9: quota exceeded | EP429 priority(110) 429 true
}
