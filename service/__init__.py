"""The mediacheck pre-flight service: a thin FastAPI wrapper over the library (install `mediacheck[service]`)."""
