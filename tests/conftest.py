import gc
import os

# Several tests check behaviour across devices; four simulated CPU devices make
# sharding real on a one-CPU machine. Must be set before jax is imported.
# Most tests run small problems once, so compiling dominates: without LLVM's backend
# optimisation the suite took 13m40s instead of 19m37s on two cores (same 1150 tests
# passing; the few long-running physics checks get slower, the many short ones faster).
os.environ.setdefault(
    "XLA_FLAGS", "--xla_force_host_platform_device_count=4 --xla_backend_optimization_level=0"
)
os.environ.setdefault("MPLBACKEND", "Agg")
# The CLI persists compiled programs across processes; tests must not write to ~/.cache.
os.environ.setdefault("JAXDYN_NO_COMPILATION_CACHE", "1")

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def key():
    return jax.random.PRNGKey(0)


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Drop each module's compiled programs when it ends.

    A single process compiling the whole suite's programs (hundreds of executables, four
    simulated devices) has segfaulted inside XLA's CPU compiler late in the run; keeping
    what a process holds bounded is cheap, since modules rarely share programs.
    """
    yield
    jax.clear_caches()
    gc.collect()
