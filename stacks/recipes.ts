import { kubernetesLab } from "./kubernetes";
import { openshiftLab } from "./openshift";
import { peerAuthLab } from "./peerAuthLab";
import { Recipe } from "./recipe";

/** Every recipe, by name. */
export const RECIPES: Readonly<Record<string, Recipe>> = {
    [kubernetesLab.name]: kubernetesLab,
    [openshiftLab.name]: openshiftLab,
    [peerAuthLab.name]: peerAuthLab,
};
