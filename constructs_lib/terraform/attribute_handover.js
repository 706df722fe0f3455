'use strict';
// infraplan's element classes on the JavaScript side of jsii (#16, constructs_lib/terraform/attribute_handover.py).
//
// cdktf asks every element for its attributes (synthesizeAttributes) twice per synth: when it
// prepares the stacks and when it writes them. An element class written in Python answers each ask
// with a callback into Python, a round trip. These classes extend cdktf's own Resource, DataSource
// and Provider (and TerraformElement, as Block, for blocks cdktf has no class for) and answer from
// what was handed over once, for every element of an app in one call (HandOver.handOver), before
// app.synth(); an element nothing was handed to asks Python at each synth (askAttributes,
// askTerraform, which the Python classes override), as before. Everything else is cdktf's.
//
// The engine (cdktf, or CDK Terrain's cdktn) is the one this package's package.json names.

const engine = require(require('./package.json').cdkEngine);

const HANDED = Symbol('infraplan.handedAttributes');
const RTTI = Symbol.for('jsii.rtti');
const ASSEMBLY = require('./package.json').name;
const REFERENCE = /\$\{TfToken\[INFRAPLAN\.([0-9]+)\]\}/g;

// cdktf's element class `Base`, answering synthesizeAttributes with what was handed over (a fresh
// copy at each ask: cdktf merges its meta-arguments and overrides into the object it is given),
// else with askAttributes (Python's).
function answeringFromHandover(Base) {
  return class extends Base {
    synthesizeAttributes() {
      const handed = this[HANDED];
      return handed === undefined ? this.askAttributes() : structuredClone(handed);
    }

    askAttributes() {
      return {};
    }
  };
}

class Resource extends answeringFromHandover(engine.TerraformResource) {}

class DataSource extends answeringFromHandover(engine.TerraformDataSource) {}

class Provider extends answeringFromHandover(engine.TerraformProvider) {}

// An element that writes its own block (cdktf has none for it: an ephemeral resource, an import
// block with for_each): its toTerraform is what was handed over, else askTerraform (Python's).
class Block extends engine.TerraformElement {
  toTerraform() {
    const handed = this[HANDED];
    return handed === undefined ? this.askTerraform() : structuredClone(handed);
  }

  askTerraform() {
    return {};
  }
}

function isElement(construct) {
  return construct instanceof Resource || construct instanceof DataSource || construct instanceof Provider || construct instanceof Block;
}

class HandOver {
  // The elements of these classes under `scope`, in the construct tree's order; none when a
  // construct there has an aspect: cdktf runs aspects while it writes the stacks, after the
  // handover, and one that changes an element's attributes must be seen, so the elements ask.
  static elementsUnder(scope) {
    const constructs = scope.node.findAll();
    if (constructs.some((construct) => engine.Aspects.of(construct).all.length > 0)) {
      return [];
    }
    return constructs.filter(isElement);
  }

  // From now on each element answers cdktf with its attributes here (a copy per ask). The
  // attributes come as one JSON text (an array, one object per element): Python's and Node's
  // C-coded JSON instead of jsii's serialization of each value on both sides.
  // The references Python made: ${TfToken[INFRAPLAN.<n>]} stands for the attribute `references[n][1]`
  // of `referenced[references[n][0]]`; each becomes cdktf's token here (asked once per reference).
  static handOver(elements, attributesJson, referenced, referencesJson) {
    const references = JSON.parse(referencesJson);
    const tokens = new Map();
    const resolved = attributesJson.replace(REFERENCE, (marker, number) => {
      let token = tokens.get(number);
      if (token === undefined) {
        const reference = references[number];
        if (reference === undefined || referenced[reference[0]] === undefined) {
          throw new Error(`handOver: no element for the reference ${marker}`);
        }
        token = referenced[reference[0]].getStringAttribute(reference[1]);
        tokens.set(number, token);
      }
      return token;
    });
    const attributes = JSON.parse(resolved);
    if (!Array.isArray(attributes) || elements.length !== attributes.length) {
      throw new Error(`handOver: ${elements.length} elements but ${Array.isArray(attributes) ? attributes.length : 'no array of'} attribute maps`);
    }
    elements.forEach((element, i) => {
      if (!isElement(element)) {
        throw new Error(`handOver: ${element} is not an element of ${ASSEMBLY}`);
      }
      element[HANDED] = attributes[i];
    });
  }

  // The elements ask Python again at each synth.
  static takeBack(elements) {
    for (const element of elements) {
      delete element[HANDED];
    }
  }
}

for (const [name, type] of Object.entries({ Resource, DataSource, Provider, Block, HandOver })) {
  Object.defineProperty(type, RTTI, { value: { fqn: `${ASSEMBLY}.${name}`, version: require('./package.json').version } });
}

module.exports = { Resource, DataSource, Provider, Block, HandOver };
