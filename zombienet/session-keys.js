// Zombienet rewrites the chain spec's `session.keys` with its own stash accounts and a key object naming many
// key types; the runtime's session keys take its `babe` and `grandpa` entries. This checks the runtime took
// them as the preset intends: the four spawned nodes are the session's validators, BABE's authorities (with
// VRF secondary slots, so every slot has an author) and GRANDPA's voters (and validator-loss.zndsl checks
// that they author and finalize). Returns the number of validators.

async function run(_nodeName, networkInfo) {
  const api = await zombie.connect(networkInfo.nodesByName.alice.wsUri);
  try {
    const validators = (await api.query.session.validators()).map((v) => v.toString());
    const babe = await api.query.babe.authorities();
    const grandpa = await api.query.grandpa.authorities();
    const spawned = Object.keys(networkInfo.nodesByName).length;
    if (new Set(validators).size !== spawned) {
      throw new Error(`session validators ${JSON.stringify(validators)}, ${spawned} nodes spawned`);
    }
    if (babe.length !== spawned || grandpa.length !== spawned) {
      throw new Error(`${babe.length} BABE and ${grandpa.length} GRANDPA authorities for ${spawned} validators`);
    }
    const config = (await api.query.babe.epochConfig()).unwrap();
    if (config.allowedSlots.toString() !== "PrimaryAndSecondaryVRFSlots") {
      throw new Error(`BABE runs with ${config.allowedSlots}, not PrimaryAndSecondaryVRFSlots`);
    }
    return validators.length;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
