package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bluegreen-deploy/bluegreen-deploy/internal/awssim"
)

// instanceRole is the name of the instance profile's role the instance
// metadata service reports.
const instanceRole = "awssim-instance"

// Home returns the home folder hook scripts get: its .aws/config points
// the AWS CLI and SDKs at the sandbox (endpoint_url) and at this
// instance's metadata service (ec2_metadata_service_endpoint), which gives
// them the instance role's credentials, as on EC2, and no region. region
// is the instance's, for its metadata.
func (a *execAgent) Home(endpoint, region string) string {
	a.mu.Lock()
	a.region = region
	a.mu.Unlock()
	home := filepath.Join(a.root, "home")
	config := fmt.Sprintf("[default]\nendpoint_url = %s\nec2_metadata_service_endpoint = %s/_awssim/imds/\n", endpoint, endpoint)
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o755); err == nil {
		os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(config), 0o644)
	}
	return home
}

// ServeMetadata answers the instance metadata service's calls that the AWS
// CLI and SDKs make (EC2 User Guide, "Retrieve instance metadata" and
// "Instance metadata categories"): PUT latest/api/token (IMDSv2), the
// instance profile's role name and credentials under
// latest/meta-data/iam/security-credentials/, and placement's region and
// availability-zone. path is what follows the service's root.
func (a *execAgent) ServeMetadata(w http.ResponseWriter, r *http.Request, path string) {
	a.mu.Lock()
	region := a.region
	a.mu.Unlock()
	if region == "" {
		region = "us-east-1"
	}
	w.Header().Set("Content-Type", "text/plain")
	switch {
	case path == "latest/api/token" && r.Method == http.MethodPut:
		fmt.Fprint(w, awssim.RandomAlnum(56))
	case r.Method != http.MethodGet:
		w.WriteHeader(http.StatusMethodNotAllowed)
	case path == "latest/meta-data/iam/security-credentials/" || path == "latest/meta-data/iam/security-credentials":
		fmt.Fprint(w, instanceRole)
	case path == "latest/meta-data/iam/security-credentials/"+instanceRole:
		now := time.Now().UTC()
		json.NewEncoder(w).Encode(map[string]string{
			"Code": "Success", "Type": "AWS-HMAC",
			"LastUpdated":     now.Format(time.RFC3339),
			"AccessKeyId":     a.creds.keyID,
			"SecretAccessKey": a.creds.secret,
			"Token":           a.creds.token,
			"Expiration":      now.Add(6 * time.Hour).Format(time.RFC3339),
		})
	case strings.TrimSuffix(path, "/") == "latest/meta-data/placement/region":
		fmt.Fprint(w, region)
	case strings.TrimSuffix(path, "/") == "latest/meta-data/placement/availability-zone":
		fmt.Fprint(w, region+"a")
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}
