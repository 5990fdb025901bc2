package broker

import (
	"net/http"
	"time"
)

// Timeouts of the server NewServer builds.
const (
	// ServerReadHeaderTimeout and ServerReadTimeout bound reading a
	// request's headers and the whole request (the broker reads no body).
	ServerReadHeaderTimeout = 5 * time.Second
	ServerReadTimeout       = 10 * time.Second
	// ServerIdleTimeout closes keep-alive connections idle that long.
	ServerIdleTimeout = 60 * time.Second
	// ServerWriteSlack is added to the handler's two AWS steps (two call
	// timeouts) to make the write timeout: the answer must be written
	// after both.
	ServerWriteSlack = 10 * time.Second
)

// NewServer returns an http.Server serving h at addr with every timeout
// set — ReadHeaderTimeout, ReadTimeout, IdleTimeout and a WriteTimeout
// that leaves room for the handler's AWS calls (2 × its call timeout +
// ServerWriteSlack) — and 16 KiB of headers at most. The caller sets
// TLSConfig or calls ListenAndServeTLS as it needs.
func NewServer(addr string, h *Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ServerReadHeaderTimeout,
		ReadTimeout:       ServerReadTimeout,
		WriteTimeout:      2*h.callTimeout + ServerWriteSlack,
		IdleTimeout:       ServerIdleTimeout,
		MaxHeaderBytes:    16 << 10,
	}
}
