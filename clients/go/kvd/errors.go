package kvd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	kvv1 "github.com/kvd-project/kvd/clients/go/kv/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ErrorCode is kvd's error code. Codes 1 to 6 mirror the error variant of
// Spin's key-value interface one to one; codes from 7 are kvd's own, for the
// operations Spin does not have (conditional writes, Increment). Its values
// are those of kv.v1.ErrorCode (kvv1.ErrorCode(c) and ErrorCode(p) convert),
// and String returns the name kvd's messages use: "NO_SUCH_KEY", not
// "ERROR_CODE_NO_SUCH_KEY".
type ErrorCode kvv1.ErrorCode

// The error codes. CodeUnspecified means the failure carried no code: the
// call failed before reaching kvd's service (unreachable server, expired
// deadline, cancelled context, kvd shutting down).
const (
	CodeUnspecified    = ErrorCode(kvv1.ErrorCode_ERROR_CODE_UNSPECIFIED)
	CodeStoreTableFull = ErrorCode(kvv1.ErrorCode_ERROR_CODE_STORE_TABLE_FULL)
	CodeNoSuchStore    = ErrorCode(kvv1.ErrorCode_ERROR_CODE_NO_SUCH_STORE)
	CodeAccessDenied   = ErrorCode(kvv1.ErrorCode_ERROR_CODE_ACCESS_DENIED)
	CodeInvalidStore   = ErrorCode(kvv1.ErrorCode_ERROR_CODE_INVALID_STORE)
	CodeNoSuchKey      = ErrorCode(kvv1.ErrorCode_ERROR_CODE_NO_SUCH_KEY)
	CodeIO             = ErrorCode(kvv1.ErrorCode_ERROR_CODE_IO)
	// CodeConditionFailed: a conditional write's revision did not match the
	// key's; nothing was written. Error.CurrentRevision says what it is now.
	CodeConditionFailed = ErrorCode(kvv1.ErrorCode_ERROR_CODE_CONDITION_FAILED)
	// CodeNotAnInteger: Increment found a value that is not a decimal int64.
	CodeNotAnInteger = ErrorCode(kvv1.ErrorCode_ERROR_CODE_NOT_AN_INTEGER)
	// CodeOutOfRange: Increment's result does not fit in an int64.
	CodeOutOfRange = ErrorCode(kvv1.ErrorCode_ERROR_CODE_OUT_OF_RANGE)
)

// String returns the code's name without the proto's ERROR_CODE_ prefix
// ("NO_SUCH_KEY", "UNSPECIFIED"), or "ErrorCode(N)" for a number this client
// does not know.
func (c ErrorCode) String() string {
	name, ok := kvv1.ErrorCode_name[int32(c)]
	if !ok {
		return fmt.Sprintf("ErrorCode(%d)", int32(c))
	}
	return strings.TrimPrefix(name, "ERROR_CODE_")
}

// ErrorCodeTrailer is the trailing metadata entry that carries the ErrorCode
// of a failed call, as the enum value's name ("ERROR_CODE_NO_SUCH_KEY").
const ErrorCodeTrailer = "kv-error-code"

// CurrentRevisionTrailer is the trailing metadata entry of a CONDITION_FAILED
// error that carries the key's current revision, in decimal (0: absent).
const CurrentRevisionTrailer = "kv-current-revision"

// FailedIndexTrailer is the trailing metadata entry of a failed SetMany or
// DeleteMany that carries the failing entry's 0-based position.
const FailedIndexTrailer = "kv-failed-index"

// Error is the error every method of this package returns when a call fails.
type Error struct {
	// Code is kvd's error code, from the "kv-error-code" trailer;
	// CodeUnspecified if the failure carried none.
	Code ErrorCode
	// GRPCCode is the call's canonical gRPC status code.
	GRPCCode codes.Code
	// Message is the gRPC status message. kvd's messages start with the
	// code's short name and name the store and key ("NO_SUCH_KEY: key ...").
	Message string
	// CurrentRevision is, for CodeConditionFailed, the key's revision when
	// the condition was checked (0: the key was absent), from the
	// "kv-current-revision" trailer: retry with it without reading again.
	// 0 for other errors.
	CurrentRevision uint64
	// FailedIndex is, for a failed SetMany or DeleteMany, the 0-based
	// position of the entry that failed (the "kv-failed-index" trailer), and
	// -1 when the error names no entry. (An Error made with a literal that
	// leaves it out has 0; errors this package returns always set it.)
	FailedIndex int
}

// Sentinels for errors.Is. A sentinel matches an *Error with the same Code
// and, if the sentinel's GRPCCode is not codes.OK, the same GRPCCode:
//
//	if errors.Is(err, kvd.ErrNoSuchKey) { ... }
var (
	ErrStoreTableFull = &Error{Code: CodeStoreTableFull}
	ErrNoSuchStore    = &Error{Code: CodeNoSuchStore}
	ErrAccessDenied   = &Error{Code: CodeAccessDenied}
	ErrInvalidStore   = &Error{Code: CodeInvalidStore}
	ErrNoSuchKey      = &Error{Code: CodeNoSuchKey}
	// ErrIO matches every IO error, whatever its gRPC code.
	ErrIO = &Error{Code: CodeIO}
	// ErrBackendUnavailable: kvd is up but the store's backend cannot be
	// reached or opened (IO with gRPC UNAVAILABLE). Retrying later may work.
	ErrBackendUnavailable = &Error{Code: CodeIO, GRPCCode: codes.Unavailable}
	// ErrInvalidArgument: a malformed request, such as an oversize key or
	// value (IO with gRPC INVALID_ARGUMENT; IsInvalidArgument). Retrying
	// will not help.
	ErrInvalidArgument = &Error{Code: CodeIO, GRPCCode: codes.InvalidArgument}
	// ErrServerUnavailable: kvd itself could not be reached, or is shutting
	// down (gRPC UNAVAILABLE with no kvd error code).
	ErrServerUnavailable = &Error{Code: CodeUnspecified, GRPCCode: codes.Unavailable}
	// ErrConditionFailed: a conditional write (SetEntry or DeleteEntry with
	// a Condition, a SetMany entry with one) found another revision; nothing
	// was written (CONDITION_FAILED / ABORTED).
	ErrConditionFailed = &Error{Code: CodeConditionFailed}
	// ErrNotAnInteger: Increment found a value that is not a canonical
	// decimal int64; it is unchanged (NOT_AN_INTEGER / FAILED_PRECONDITION).
	ErrNotAnInteger = &Error{Code: CodeNotAnInteger}
	// ErrOutOfRange: Increment's result would not fit in an int64; the value
	// is unchanged (OUT_OF_RANGE / OUT_OF_RANGE).
	ErrOutOfRange = &Error{Code: CodeOutOfRange}
)

// Error formats the error on one line, e.g.
// `kvd: NO_SUCH_KEY: key "a" does not exist in store "default" (NotFound)`.
func (e *Error) Error() string {
	msg := e.Message
	if e.Code != CodeUnspecified {
		short := e.Code.String()
		if !strings.HasPrefix(msg, short) {
			msg = short + ": " + msg
		}
	}
	return fmt.Sprintf("kvd: %s (%s)", msg, e.GRPCCode)
}

// Is reports whether target is a sentinel (or any *Error) this error matches:
// the same Code, and the same GRPCCode unless target's is codes.OK.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return e.Code == t.Code && (t.GRPCCode == codes.OK || t.GRPCCode == e.GRPCCode)
}

// Unwrap returns context.DeadlineExceeded or context.Canceled for a call that
// failed because its deadline expired or it was cancelled, so that
// errors.Is(err, context.DeadlineExceeded) works; otherwise nil.
func (e *Error) Unwrap() error {
	if e.Code != CodeUnspecified {
		return nil
	}
	switch e.GRPCCode {
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	case codes.Canceled:
		return context.Canceled
	}
	return nil
}

// GRPCStatus returns the error as a gRPC status, so status.Code(err) and
// status.FromError(err) work on it.
func (e *Error) GRPCStatus() *status.Status {
	return status.New(e.GRPCCode, e.Message)
}

// CodeOf returns err's kvd ErrorCode if err is (or wraps) an *Error, else
// CodeUnspecified.
func CodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeUnspecified
}

// IsNoSuchKey reports whether err says the key does not exist.
func IsNoSuchKey(err error) bool { return errors.Is(err, ErrNoSuchKey) }

// IsNoSuchStore reports whether err says the store name is not defined.
func IsNoSuchStore(err error) bool { return errors.Is(err, ErrNoSuchStore) }

// IsAccessDenied reports whether err says the caller may not use the store.
func IsAccessDenied(err error) bool { return errors.Is(err, ErrAccessDenied) }

// IsInvalidStore reports whether err says the handle is not open (closed,
// reclaimed after idling, or never issued); Open the store again.
func IsInvalidStore(err error) bool { return errors.Is(err, ErrInvalidStore) }

// IsStoreTableFull reports whether err says the caller holds too many open
// store handles.
func IsStoreTableFull(err error) bool { return errors.Is(err, ErrStoreTableFull) }

// IsIO reports whether err is an IO error (any gRPC code).
func IsIO(err error) bool { return errors.Is(err, ErrIO) }

// IsInvalidArgument reports whether err says the request was malformed, e.g.
// a key over 256 bytes or a value over 1 MiB (IO with gRPC INVALID_ARGUMENT).
func IsInvalidArgument(err error) bool { return errors.Is(err, ErrInvalidArgument) }

// IsBackendUnavailable reports whether err says the store's backend cannot
// be reached or opened (IO with gRPC UNAVAILABLE).
func IsBackendUnavailable(err error) bool { return errors.Is(err, ErrBackendUnavailable) }

// IsServerUnavailable reports whether err says kvd itself could not be
// reached or is shutting down.
func IsServerUnavailable(err error) bool { return errors.Is(err, ErrServerUnavailable) }

// IsConditionFailed reports whether err says a conditional write found
// another revision than it asked for, so nothing was written. The *Error's
// CurrentRevision is the key's revision now (ConditionFailedRevision).
func IsConditionFailed(err error) bool { return errors.Is(err, ErrConditionFailed) }

// IsNotAnInteger reports whether err says Increment found a value that is not
// a decimal integer.
func IsNotAnInteger(err error) bool { return errors.Is(err, ErrNotAnInteger) }

// IsOutOfRange reports whether err says Increment's result would overflow an
// int64.
func IsOutOfRange(err error) bool { return errors.Is(err, ErrOutOfRange) }

// ConditionFailedRevision returns the key's current revision carried by a
// CONDITION_FAILED error (0: the key is absent), and whether err is one.
func ConditionFailedRevision(err error) (uint64, bool) {
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeConditionFailed {
		return 0, false
	}
	return e.CurrentRevision, true
}

// fromCall converts the error of a gRPC call to kvd at address, with the
// trailer it received, to an *Error. It returns nil for a nil error. A
// failure without a kvd code that means kvd was not reached (UNAVAILABLE) or
// did not answer in time (DEADLINE_EXCEEDED) names the address in its
// message: gRPC's own text often does not (a unix socket, a name that did not
// resolve), and "connection refused" alone does not say where.
func fromCall(err error, trailer metadata.MD, address string) error {
	if err == nil {
		return nil
	}
	st, _ := status.FromError(err)
	e := &Error{GRPCCode: st.Code(), Message: st.Message(), FailedIndex: -1}
	if v := trailer.Get(ErrorCodeTrailer); len(v) > 0 {
		if n, ok := kvv1.ErrorCode_value[v[0]]; ok {
			e.Code = ErrorCode(n)
		}
	}
	// A trailer that does not parse is ignored: the code and message still
	// say what happened.
	if v := trailer.Get(CurrentRevisionTrailer); len(v) > 0 {
		if n, err := strconv.ParseUint(v[0], 10, 64); err == nil {
			e.CurrentRevision = n
		}
	}
	if v := trailer.Get(FailedIndexTrailer); len(v) > 0 {
		if n, err := strconv.Atoi(v[0]); err == nil && n >= 0 {
			e.FailedIndex = n
		}
	}
	if e.Code == CodeUnspecified {
		switch e.GRPCCode {
		case codes.Unavailable:
			e.Message = fmt.Sprintf("cannot reach kvd at %s: %s", address, e.Message)
		case codes.DeadlineExceeded:
			e.Message = fmt.Sprintf("no answer from kvd at %s in time: %s", address, e.Message)
		}
	}
	return e
}
