"""HTTP routes beside the call transports: live captions, the admin (privacy) API, metrics."""
