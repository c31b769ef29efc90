package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"auth-service/application"
	"auth-service/domain"
	"auth-service/ports"
)

type pageJSON[T any] struct {
	Items   []T `json:"items"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
}

// queryInt reads an optional whole-number query parameter; 0 when absent.
func queryInt(q url.Values, name string, v *domain.ValidationError) int {
	raw := q.Get(name)
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		v.Add(name, "must be a whole number from 1")
		return -1
	}
	return n
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &domain.ValidationError{}
	f := ports.UserFilter{
		Query:   q.Get("q"),
		Status:  q.Get("status"),
		Role:    q.Get("role"),
		Sort:    q.Get("sort"),
		Page:    queryInt(q, "page", v),
		PerPage: queryInt(q, "per_page", v),
	}
	if err := v.Err(); err != nil {
		writeError(w, r, err)
		return
	}

	page, err := s.admin.ListUsers(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}

	items := make([]userJSON, len(page.Items))
	for i, u := range page.Items {
		items[i] = toUserJSON(u)
	}
	writeJSON(w, http.StatusOK, pageJSON[userJSON]{items, page.Page, page.PerPage, page.Total})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string   `json:"email"`
		Password string   `json:"password"`
		Name     string   `json:"name"`
		Roles    []string `json:"roles"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	u, err := s.admin.CreateUser(r.Context(), principalFrom(r), application.NewUser{
		Email: in.Email, Password: in.Password, Name: in.Name, Roles: in.Roles,
	})
	if err != nil {
		writeError(w, r, err)
		return
	}

	w.Header().Set("Location", "/v1/admin/users/"+u.ID)
	writeJSON(w, http.StatusCreated, toUserJSON(u))
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.admin.GetUser(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name   *string `json:"name"`
		Status *string `json:"status"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	u, err := s.admin.UpdateUser(r.Context(), principalFrom(r), mux.Vars(r)["id"],
		application.UserChange{Name: in.Name, Status: in.Status})
	if err != nil {
		writeError(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	permanent := false
	switch r.URL.Query().Get("permanent") {
	case "", "false":
	case "true":
		permanent = true
	default:
		writeError(w, r, domain.Invalid("permanent", "must be true or false"))
		return
	}

	err := s.admin.DeleteUser(r.Context(), principalFrom(r), mux.Vars(r)["id"], permanent)
	if err != nil {
		writeError(w, r, err)
		return
	}

	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) restoreUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.admin.RestoreUser(r.Context(), principalFrom(r), mux.Vars(r)["id"])
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) setUserRoles(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Roles *[]string `json:"roles"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}
	if in.Roles == nil {
		writeError(w, r, domain.Invalid("roles", "is required"))
		return
	}

	u, err := s.admin.SetUserRoles(r.Context(), principalFrom(r), mux.Vars(r)["id"], *in.Roles)
	if err != nil {
		writeError(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, toUserJSON(u))
}

type roleJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
	System      bool     `json:"system"`
}

func toRoleJSON(r domain.Role) roleJSON {
	return roleJSON{r.Name, r.Description, nonNil(r.Permissions), r.System}
}

type permissionJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) {
	roles, err := s.admin.ListRoles(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	items := make([]roleJSON, len(roles))
	for i, role := range roles {
		items[i] = toRoleJSON(role)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Permissions []string `json:"permissions"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	role, err := s.admin.CreateRole(r.Context(), principalFrom(r), domain.Role{
		Name: in.Name, Description: in.Description, Permissions: in.Permissions,
	})
	if err != nil {
		writeError(w, r, err)
		return
	}

	w.Header().Set("Location", "/v1/admin/roles/"+role.Name)
	writeJSON(w, http.StatusCreated, toRoleJSON(role))
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request) {
	role, err := s.admin.GetRole(r.Context(), mux.Vars(r)["name"])
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toRoleJSON(role))
}

func (s *Server) describeRole(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Description *string `json:"description"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}
	if in.Description == nil {
		writeError(w, r, domain.Invalid("description", "is required"))
		return
	}

	role, err := s.admin.DescribeRole(r.Context(), principalFrom(r), mux.Vars(r)["name"], *in.Description)
	if err != nil {
		writeError(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, toRoleJSON(role))
}

func (s *Server) setRolePermissions(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Permissions *[]string `json:"permissions"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}
	if in.Permissions == nil {
		writeError(w, r, domain.Invalid("permissions", "is required"))
		return
	}

	role, err := s.admin.SetRolePermissions(r.Context(), principalFrom(r), mux.Vars(r)["name"],
		*in.Permissions)
	if err != nil {
		writeError(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, toRoleJSON(role))
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) {
	if err := s.admin.DeleteRole(r.Context(), principalFrom(r), mux.Vars(r)["name"]); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listPermissions(w http.ResponseWriter, r *http.Request) {
	perms, err := s.admin.ListPermissions(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	items := make([]permissionJSON, len(perms))
	for i, p := range perms {
		items[i] = permissionJSON{p.Name, p.Description}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) createPermission(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := decode(w, r, &in, false); err != nil {
		writeError(w, r, err)
		return
	}

	p, err := s.admin.CreatePermission(r.Context(), principalFrom(r),
		domain.Permission{Name: in.Name, Description: in.Description})
	if err != nil {
		writeError(w, r, err)
		return
	}

	writeJSON(w, http.StatusCreated, permissionJSON{p.Name, p.Description})
}

type auditJSON struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	ActorID    string         `json:"actor_id,omitempty"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	IP         string         `json:"ip"`
	Details    map[string]any `json:"details"`
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &domain.ValidationError{}
	f := ports.AuditFilter{
		ActorID: q.Get("actor"),
		Action:  q.Get("action"),
		Page:    queryInt(q, "page", v),
		PerPage: queryInt(q, "per_page", v),
	}
	if err := v.Err(); err != nil {
		writeError(w, r, err)
		return
	}

	page, err := s.admin.ListAudit(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}

	items := make([]auditJSON, len(page.Items))
	for i, e := range page.Items {
		details := e.Details
		if details == nil {
			details = map[string]any{}
		}
		items[i] = auditJSON{e.ID, e.At.UTC(), e.ActorID, e.Action, e.TargetType, e.TargetID,
			e.IP, details}
	}
	writeJSON(w, http.StatusOK, pageJSON[auditJSON]{items, page.Page, page.PerPage, page.Total})
}
