//! The packaging: the systemd unit, the container file and the Kubernetes manifests.
