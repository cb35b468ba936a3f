"""The stalling proxy of the hung-store tests: a FaultProxy (tests/support/faults.py)."""

from tests.support.faults import FaultProxy as StallingProxy
from tests.support.faults import fault_proxy as stalling_proxy

__all__ = ["StallingProxy", "stalling_proxy"]
