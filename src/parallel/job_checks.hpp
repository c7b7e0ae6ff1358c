#pragma once
// Start-up checks of a multi-rank job, each a collective that ends with the same
// UsageError on every rank (agree_or_throw) so rank 0 prints one line and every
// rank exits non-zero:
//  * every rank runs the same build (build_id gathered to rank 0);
//  * a build without MPI is not started as several ranks (each would think it is
//    the only one and they would overwrite each other's files);
//  * the ranks of a node do not ask for more threads than it has cores.
#include <string>

namespace penumbra::parallel {

// Version, compiler, MPI library and a hash of the executable's bytes: equal on
// two ranks only if they run the same binary against the same MPI.
std::string build_id();

// Every rank's build_id equals rank 0's, and a serial build is one rank.
void require_same_build();

// Cores of this node (online processors).
int node_cores();

// Whether the user asked to oversubscribe (PENUMBRA_OVERSUBSCRIBE=1, or mpirun
// --oversubscribe unless PENUMBRA_OVERSUBSCRIBE=0): the thread checks then only warn.
bool oversubscription_allowed();

// Cores this process may run on (its affinity mask: what mpirun bound it to).
int bound_cores();

// Threads each rank uses for `requested` (--threads; 0: this rank's share of the
// node's cores, within the cores it is bound to). Under an MPI launcher,
// ranks_on_node() × threads > node_cores() is refused on every rank, naming
// `quantity` ("threads", "workers"), and so are more threads than bound cores.
// Without a launcher `requested` is returned as it is.
int threads_per_rank(int requested);
void require_node_capacity(int threads_each, const std::string& quantity);

}  // namespace penumbra::parallel
