package awssim

// Placeholder state for ECS and CodeDeploy; their files replace this one.

type ecsState struct{}

func newECSState() *ecsState                { return &ecsState{} }
func (s *Server) ecsOps() map[string]jsonOp { return map[string]jsonOp{} }

type cdState struct{}

func newCDState() *cdState                         { return &cdState{} }
func (s *Server) codeDeployOps() map[string]jsonOp { return map[string]jsonOp{} }
