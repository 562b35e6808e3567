from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from listings.models import Listing, Membership, Team
from listings.permissions import REVIEWERS_GROUP

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = "editor"


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing
        skip_postgeneration_save = True

    @classmethod
    def _create(cls, model_class, *args,
                short_description="Classifies English product reviews as positive, negative or neutral.", **kwargs):
        listing = super()._create(model_class, *args, **kwargs)
        listing._short_description = short_description
        return listing

    team = factory.SubFactory(TeamFactory)
    kind = "model_package"
    title = factory.Sequence(lambda n: f"Sentiment Classifier {n}")

    @factory.post_generation
    def sections(listing, create, extracted, **kwargs):
        from listings.services import create_sections
        from listings.sections import empty_section_value

        if create:
            product = empty_section_value("product") | {"title": listing.title,
                                                         "short_description": listing._short_description}
            create_sections(listing, product=product)


def make_reviewer(username: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name=REVIEWERS_GROUP)[0])
    return user
