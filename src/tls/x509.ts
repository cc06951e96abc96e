// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the reflect polyfill first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** The X.509 library, bound to Node's WebCrypto. Import it from here, never directly. */
x509.cryptoProvider.set(webcrypto as never);

export { x509 };
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
