"""The real engines (Kafka, Apicurio Registry, PostgreSQL, Kafka Connect) as local processes.

No Docker: JARs come from Maven Central into a cache outside the repository, PostgreSQL
from Debian's binaries. Every service binds 127.0.0.1 on a free port and keeps its data in a
private directory, so several stacks can run at once.
"""

from cdc_stack.errors import ResolveError, ServiceStartError, StackError
from cdc_stack.stack import Endpoints, LocalStack, StackSettings

__all__ = [
    "Endpoints",
    "LocalStack",
    "ResolveError",
    "ServiceStartError",
    "StackError",
    "StackSettings",
]
