"""The GitOps renderer: Kubernetes manifests from the resolved model, as files."""
