package server

import "net/http"

// serveS3 answers one path-style S3 REST-XML request.
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, body []byte, who *caller) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}
