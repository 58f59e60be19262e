//! Pinning images from a real registry (OCI Distribution API) into `shipshape.lock`.
