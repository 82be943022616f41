package mgmt

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeDispatcher stands for the LB's routes, mounted the way it will.
func mountFakeDispatcher(t *testing.T, s *Server) {
	t.Helper()
	routes := map[string]http.HandlerFunc{
		"GET /v1/dispatcher": func(w http.ResponseWriter, _ *http.Request) {
			WriteJSON(w, http.StatusOK, []map[string]any{{"setid": 1, "uri": "sip:10.0.0.1", "state": "active"}})
		},
		"POST /v1/dispatcher/state": func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				SetID int    `json:"setid"`
				URI   string `json:"uri"`
				State string `json:"state"`
			}
			if err := DecodeJSON(w, r, &req); err != nil {
				WriteError(w, http.StatusBadRequest, err)
				return
			}
			WriteJSON(w, http.StatusOK, req)
		},
		"GET /v1/dispatcher/sets/{id}": func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
		},
	}
	for p, h := range routes {
		if err := s.Handle(p, h); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMountedRoutes(t *testing.T) {
	s := newServer(t, nil)
	mountFakeDispatcher(t, s)
	startServer(t, s)
	tests := []struct {
		method, path, body string
		wantCode           int
		wantBody           string
	}{
		{"GET", "/v1/dispatcher", "", 200, `[{"setid":1,"state":"active","uri":"sip:10.0.0.1"}]` + "\n"},
		{"POST", "/v1/dispatcher/state", `{"setid":2,"uri":"sip:b","state":"disabled"}`, 200, `{"setid":2,"uri":"sip:b","state":"disabled"}` + "\n"},
		{"POST", "/v1/dispatcher/state", `{"setid":2,"bogus":1}`, 400, `{"error":"decode request body: json: unknown field \"bogus\""}` + "\n"},
		{"GET", "/v1/dispatcher/sets/7", "", 200, `{"id":"7"}` + "\n"},
		{"DELETE", "/v1/dispatcher", "", 404, `{"error":"no route DELETE /v1/dispatcher on this node"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			code, _, body := do(t, tt.method, s.URL()+tt.path, tt.body)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestHandlePatterns(t *testing.T) {
	s := newServer(t, nil)
	mountFakeDispatcher(t, s)
	h := http.NotFoundHandler()
	for _, pattern := range []string{
		"/metrics",
		"GET /healthz",
		"GET /v2/thing",
		"GET /v1/status",
		"GET example.com/v1/thing",
		"GET /v1/dispatcher", // already mounted: ServeMux would panic
		"BAD METHOD /v1/x",
	} {
		if err := s.Handle(pattern, h); err == nil {
			t.Errorf("Handle(%q) succeeded", pattern)
		}
	}
	for _, pattern := range []string{"GET /debug/pprof/", "/v1/contacts", "POST /v1/x/{id}"} {
		if err := s.Handle(pattern, h); err != nil {
			t.Errorf("Handle(%q): %v", pattern, err)
		}
	}
}

func TestJSONHelpers(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusCreated, map[string]int{"n": 1})
	if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != "{\"n\":1}\n" {
		t.Errorf("WriteJSON: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, map[string]any{"c": make(chan int)})
	var e ErrorBody
	if rec.Code != 500 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || !strings.HasPrefix(e.Error, "encode response:") {
		t.Errorf("WriteJSON of a channel: %d %q", rec.Code, rec.Body)
	}

	decode := func(body string) error {
		var v struct{ A int }
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		return DecodeJSON(httptest.NewRecorder(), r, &v)
	}
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"one value", `{"A":1}`, true},
		{"trailing space", "{\"A\":1}\n ", true},
		{"unknown field", `{"B":1}`, false},
		{"two values", `{"A":1}{"A":2}`, false},
		{"empty", ``, false},
		{"too large", `{"A":1,"x":"` + strings.Repeat("x", maxRequestBody) + `"}`, false},
	}
	for _, tt := range tests {
		if err := decode(tt.body); (err == nil) != tt.ok {
			t.Errorf("%s: err %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
