// Checking the public ledger in the browser, trusting nothing the server computed: the head's
// Ed25519 signature with the platform key (@noble/ed25519), and an entry's inclusion proof
// recomputed from the entry's own text up to the signed root (RFC 9162 2.1.3.2), as
// scripts/verify_ledger.py does for auditors on the command line.
import { etc, verifyAsync } from "@noble/ed25519";

const HEAD_CONTEXT = "gongyi-ledger-head-v1\n";

export type SignedHead = { tree_size: number; root_hash: string; timestamp: string; signature: string };
export type Inclusion = { leaf_index: number; tree_size: number; entry: string; audit_path: string[] };

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

const leafHash = (entry: Uint8Array) => sha256(Uint8Array.of(0), entry);
const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(1), left, right);

function bytes(hex: string): Uint8Array | null {
  try {
    return etc.hexToBytes(hex);
  } catch {
    return null;
  }
}

/** The head is signed by the platform key: its size, root and time are the platform's word. */
export async function headSigned(head: SignedHead, publicKeyHex: string): Promise<boolean> {
  const key = bytes(publicKeyHex);
  const signature = bytes(head.signature);
  if (!key || !signature) return false;
  const message = new TextEncoder().encode(`${HEAD_CONTEXT}${head.tree_size}\n${head.root_hash}\n${head.timestamp}\n`);
  try {
    return await verifyAsync(signature, message, key);
  } catch {
    return false;
  }
}

/** The entry's text, hashed as a leaf and combined along its audit path, gives the head's root. */
export async function entryIncluded(proof: Inclusion, head: SignedHead): Promise<boolean> {
  const root = bytes(head.root_hash);
  const path = proof.audit_path.map(bytes);
  if (!root || path.some((p) => p === null)) return false;
  if (proof.tree_size !== head.tree_size || proof.leaf_index < 0 || proof.leaf_index >= head.tree_size) return false;
  let fn = proof.leaf_index;
  let sn = head.tree_size - 1;
  let r = await leafHash(new TextEncoder().encode(proof.entry));
  for (const p of path as Uint8Array[]) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn !== 0 && fn % 2 === 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && etc.bytesToHex(r) === etc.bytesToHex(root);
}
