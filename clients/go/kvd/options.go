package kvd

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// DefaultAddress is the address used when neither WithAddress nor the
// KVD_ADDR environment variable gives one.
const DefaultAddress = "127.0.0.1:50051"

// An Option configures Dial, Open and OpenDefault.
type Option func(*options)

type options struct {
	address     string
	timeout     time.Duration
	tls         *tls.Config
	token       string
	dialOptions []grpc.DialOption
}

// WithAddress sets kvd's address: "host:port" or "unix:/path/to/socket".
// The default is $KVD_ADDR if set, else DefaultAddress.
func WithAddress(address string) Option {
	return func(o *options) { o.address = address }
}

// WithTimeout sets the store's default deadline: a call (each Open, Get,
// Set, ..., Close) whose context has no deadline is bounded to d. A context
// with a deadline overrides it, whether that deadline is sooner or later
// than d: the per-call deadline is the context's, else this default. Zero,
// the default, adds no bound (Close then uses 10 s).
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithTLS connects with TLS using cfg. Without it the connection is
// plaintext (kvd's usual deployment: loopback or a unix socket).
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) { o.tls = cfg }
}

// WithBearerToken sends "authorization: Bearer <token>" with every call. It is
// sent over plaintext connections too (kvd typically listens on loopback or a
// unix socket); use WithTLS when the network is not trusted. kvd does not
// check tokens yet.
func WithBearerToken(token string) Option {
	return func(o *options) { o.token = token }
}

// WithDialOptions adds gRPC dial options, e.g. grpc.WithDefaultCallOptions(
// grpc.MaxCallRecvMsgSize(n)) to read values larger than 4 MiB.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, opts...) }
}

func newOptions(opts []Option) *options {
	o := &options{address: os.Getenv("KVD_ADDR")}
	if o.address == "" {
		o.address = DefaultAddress
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// dial returns the target and dial options for o.
func (o *options) dial() (string, []grpc.DialOption) {
	var dopts []grpc.DialOption
	target := o.address
	if strings.HasPrefix(target, "unix:") {
		// "unix:/p", "unix:p" and "unix:///p" all name the socket at p.
		path := strings.TrimPrefix(strings.TrimPrefix(target, "unix:"), "//")
		dopts = append(dopts, grpc.WithContextDialer(
			func(ctx context.Context, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", path)
			}))
		target = "passthrough:///localhost"
	}
	if o.tls != nil {
		dopts = append(dopts, grpc.WithTransportCredentials(credentials.NewTLS(o.tls)))
	} else {
		dopts = append(dopts, grpc.WithInsecure())
	}
	if o.token != "" {
		dopts = append(dopts, grpc.WithPerRPCCredentials(bearerToken(o.token)))
	}
	return target, append(dopts, o.dialOptions...)
}

// bearerToken sends "authorization: Bearer <token>" with every call.
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

func (t bearerToken) RequireTransportSecurity() bool { return false }
