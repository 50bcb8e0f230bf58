// Zombienet rewrites the chain spec's `session.keys` with its own stash accounts and a key object naming many
// key types, and clears `aura` and `grandpa`. This checks the runtime took it as the preset intends: the four
// spawned nodes are the session's validators, Aura's authorities and GRANDPA's voters (and
// validator-loss.zndsl checks that they author and finalize). Returns the number of validators.

async function run(_nodeName, networkInfo) {
  const api = await zombie.connect(networkInfo.nodesByName.alice.wsUri);
  try {
    const validators = (await api.query.session.validators()).map((v) => v.toString());
    const aura = await api.query.aura.authorities();
    const grandpa = await api.query.grandpa.authorities();
    const spawned = Object.keys(networkInfo.nodesByName).length;
    if (new Set(validators).size !== spawned) {
      throw new Error(`session validators ${JSON.stringify(validators)}, ${spawned} nodes spawned`);
    }
    if (aura.length !== spawned || grandpa.length !== spawned) {
      throw new Error(`${aura.length} Aura and ${grandpa.length} GRANDPA authorities for ${spawned} validators`);
    }
    return validators.length;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
