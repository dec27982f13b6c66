package awssim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// serveControl answers the sandbox's own endpoints under /_awssim/.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	if path, ok := strings.CutPrefix(r.URL.Path, "/_awssim/imds/"); ok {
		s.mu.Lock()
		a := s.agent
		s.mu.Unlock()
		if a != nil {
			a.ServeMetadata(w, r, path) // the exec agent's instance
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/_awssim/health" && r.Method == http.MethodGet:
		json.NewEncoder(w).Encode(map[string]any{"status": "ok", "time": s.Clock.Now(), "timeScale": s.Clock.Scale()})
	case r.URL.Path == "/_awssim/calls" && r.Method == http.MethodGet:
		json.NewEncoder(w).Encode(s.Calls())
	case r.URL.Path == "/_awssim/scenario" && r.Method == http.MethodPost:
		data, err := io.ReadAll(r.Body)
		if err == nil {
			var sc Scenario
			if sc, err = ParseScenario(data); err == nil {
				err = s.Apply(sc)
			}
		}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"status": "applied"})
	case r.URL.Path == "/_awssim/faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		json.NewEncoder(w).Encode(map[string]string{"status": "cleared"})
	case r.URL.Path == "/_awssim/clock" && r.Method == http.MethodPost:
		var req struct {
			Advance   string   `json:"advance"`
			TimeScale *float64 `json:"timeScale"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		if req.Advance != "" {
			d, err := time.ParseDuration(req.Advance)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
				return
			}
			s.Clock.Advance(d)
		}
		if req.TimeScale != nil {
			s.Clock.SetScale(*req.TimeScale)
		}
		json.NewEncoder(w).Encode(map[string]any{"time": s.Clock.Now(), "timeScale": s.Clock.Scale()})
	default:
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]string{"error": "no such sandbox endpoint: " + r.Method + " " + r.URL.Path})
	}
}
