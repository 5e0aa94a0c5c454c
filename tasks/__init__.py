"""Pure batch functions for each pipeline stage; flows/ wraps them as Prefect tasks."""
