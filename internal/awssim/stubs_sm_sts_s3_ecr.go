package awssim

// Placeholder state for services that helpers fill in. Each service's file
// replaces its part of this file.

import "net/http"

type ecrState struct{}

func newECRState() *ecrState                { return &ecrState{} }
func (s *Server) ecrOps() map[string]jsonOp { return map[string]jsonOp{} }

func (s *Server) newRegistry() http.Handler                            { return http.NotFoundHandler() }
func (s *Server) serveRegistry(w http.ResponseWriter, r *http.Request) { s.registry.ServeHTTP(w, r) }

type s3State struct{}

func newS3State() *s3State                                                                   { return &s3State{} }
func s3Operation(r *http.Request) string                                                     { return r.Method }
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, region string, body []byte) {}
func (s *Server) seedS3(operation string, input map[string]any) error                        { return nil }
func writeS3Error(w http.ResponseWriter, e *Error)                                           { w.WriteHeader(e.Status) }

