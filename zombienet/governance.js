// Governance and staking rewards on the network gpow-loop.js left running, checked against chain state:
// a referendum on the `protocol_parameters` track triples the delivery price (test networks run referenda a
// hundred times faster); the client fetches again in the next epoch and that epoch settles at the new price.
// Then the era in which gpow-loop.js settled its epoch ends (one 10-minute session on test networks) and its
// reward pot is paid out: to the keeper Bob and to Eve's stash, which guarantees Bob from genesis.
// Returns 1 when every check passed.

const path = require("path");
const { check, connect, eventually, guarded, setup, state } = require("./workers.js");

const GIB = 1n << 30n;
/// What each voter puts behind its aye: together well over the track's 20 % support at the start.
const VOTE = 800_000n * 1_000_000_000_000n;

async function run(_nodeName, networkInfo) {
  const { routedFetch, ws } = setup(networkInfo);
  const ctx = state.context;
  const keyring = new zombie.Keyring({ type: "sr25519" });
  const signer = (uri) => keyring.addFromUri(uri);
  const chain = await connect(ws("alice"));
  const { api, rpc, submit } = chain;
  // Accounts no worker signs with while this script does, so no nonce is contended: the dApp Alice (its
  // commands are done), Dave (whose keeper worker pauses meanwhile) and Ferdie's stash.
  const [alice, dave, ferdieStash] = ["//Alice", "//Dave", "//Ferdie//stash"].map(signer);

  try {
    return await guarded(async () => {
      check(ctx.id, "gpow-loop.js left its workers running");

      // The referendum: set the delivery price to three times today's.
      const before = await rpc("settlement_params");
      const price = BigInt(before.deliveryPricePerGib) * 3n;
      const call = api.tx.parameters.setParameter({ Settlement: { DeliveryPrice: [null, price] } });
      const submitted = await submit(
        api.tx.referenda.submit({ Origins: "ProtocolParameters" }, { Inline: call.method.toHex() }, { After: 1 }),
        alice,
      );
      const index = submitted.find((e) => api.events.referenda.Submitted.is(e)).data.index.toNumber();
      const daveKeeper = state.workers.get("keeper-Dave");
      await daveKeeper.kill();
      await submit(api.tx.referenda.placeDecisionDeposit(index), dave);
      for (const voter of [alice, dave, ferdieStash]) {
        await submit(
          api.tx.convictionVoting.vote(index, {
            Standard: { vote: { aye: true, conviction: "Locked1x" }, balance: VOTE },
          }),
          voter,
        );
      }
      state.workers.set("keeper-Dave", daveKeeper.restart());
      await eventually(`referendum ${index} approved`, 600, async () => {
        const info = await api.query.referenda.referendumInfoFor(index);
        return info.isSome && info.unwrap().isApproved ? true : undefined;
      });
      await eventually("the new delivery price in force", 120, async () =>
        BigInt((await rpc("settlement_params")).deliveryPricePerGib) === price ? true : undefined,
      );

      // The next epoch: the client fetches again (a fresh folder, the same key), and the epoch settles at the
      // new price, delivery and storage both priced as the chain says.
      const epoch = await chain.freshEpoch();
      const { delivered } = await routedFetch("client-after-referendum", {
        id: ctx.id, size: ctx.size, clientKey: ctx.client.client_key, rpcUrl: ctx.rpcUrl,
      });
      const usage = await eventually(`epoch ${epoch} settled`, 300, async () => {
        const u = await rpc("settlement_usage", [alice.address, epoch]);
        return u.settled ? u : undefined;
      });
      check(usage.bytes === delivered, "the dApp is charged for the bytes delivered", { usage, delivered });
      const storagePrice = BigInt((await rpc("settlement_params")).storagePricePerGibEpoch);
      const delivery = (price * BigInt(usage.bytes)) / GIB;
      const expected = delivery + (storagePrice * BigInt(usage.stored)) / GIB;
      check(BigInt(usage.cost) === expected, "the epoch settled at the new delivery price", {
        usage,
        expected: expected.toString(),
      });
      const oldDelivery = (BigInt(before.deliveryPricePerGib) * BigInt(usage.bytes)) / GIB;
      check(delivery > oldDelivery, "the new price charges more than the old", {
        delivery: delivery.toString(),
        oldDelivery: oldDelivery.toString(),
      });
      check(usage.paid === usage.cost, "the dApp paid it", usage);

      // The era of gpow-loop.js's settlement ends and its pot is paid: Bob's page pays Bob and his guarantor.
      const era = ctx.era;
      await eventually(`era ${era} ended`, 600, async () =>
        (await rpc("gpos_currentEra")) > era ? true : undefined,
      );
      const guarantor = signer("//Eve//stash").address;
      const bob = signer("//Bob").address;
      const free = async (who) => BigInt((await api.query.system.account(who)).data.free.toString());
      const guarantorBefore = await free(guarantor);
      const events = await submit(api.tx.gpos.payoutStakers(bob, era, 0), alice);
      const rewards = new Map(
        events
          .filter((e) => api.events.gpos.Rewarded.is(e))
          .map((e) => [e.data.who.toString(), BigInt(e.data.amount.toString())]),
      );
      check(rewards.get(bob) > 0n, `the keeper Bob was paid for era ${era}`, [...rewards.keys()]);
      check(rewards.get(guarantor) > 0n, `Bob's guarantor was paid for era ${era}`, [...rewards.keys()]);
      check(
        (await free(guarantor)) === guarantorBefore + rewards.get(guarantor),
        "the guarantor's reward is in its free balance",
      );
      console.log(
        `governance: referendum ${index} set the delivery price to ${price}; epoch ${epoch} cost ${usage.cost}; ` +
          `era ${era} paid Bob ${rewards.get(bob)} and his guarantor ${rewards.get(guarantor)}`,
      );
      return 1;
    });
  } finally {
    await chain.close();
  }
}

module.exports = { run };
